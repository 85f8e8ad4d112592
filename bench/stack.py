"""A throw-away embedded stack for one benchmark: its own CRM_HOME, started and stopped here.

Every bench run starts its servers in a temporary CRM_HOME, ignoring CRM_DATABASE_URL, so
`crm bench` works from a fresh clone and never touches a user's stack or data.

The broker is the stack's own Tansu, unless the bench is pointed at a Kafka cluster
(`crm bench --kafka BOOTSTRAP`, or CRM_KAFKA_BOOTSTRAP: `use_kafka`): then every
Kafka-bound stage runs there, in the CRM's topics, which must be absent or empty at the
start (the bench refuses to touch a log that holds records); each stage deletes them when
it ends, so the next starts on empty topics and the cluster is left without them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import localstack
from crm.bootstrap import Services, bootstrap
from crm.config import load_settings

# Variables that would point the stack at servers other than the bench's own.
_KAFKA = ("CRM_KAFKA_BOOTSTRAP", "CRM_KAFKA_SECURITY_PROTOCOL", "CRM_KAFKA_SASL_MECHANISM",
          "CRM_KAFKA_SASL_USERNAME", "CRM_KAFKA_SASL_PASSWORD", "CRM_KAFKA_SSL_CA_LOCATION")
_EXTERNAL = ("CRM_DATABASE_URL", "CRM_SCHEMA_REGISTRY_URL", *_KAFKA)
# The cluster the bench was pointed at, for its child processes (backfill runs, workers).
BENCH_KAFKA = "CRM_BENCH_KAFKA"


def bench_env(home: Path) -> dict[str, str]:
    """The environment of a process that must use the bench stack in `home` (and the
    Kafka cluster the bench was pointed at, with its security settings)."""
    kafka = os.environ.get(BENCH_KAFKA)
    drop = ("CRM_DATABASE_URL", "CRM_SCHEMA_REGISTRY_URL") if kafka else _EXTERNAL
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["CRM_HOME"] = str(home)
    if kafka:
        env["CRM_KAFKA_BOOTSTRAP"] = kafka
    return env


def use_kafka(bootstrap: str | None = None) -> dict[str, Any]:
    """Run the Kafka-bound stages on `bootstrap` (default: CRM_KAFKA_BOOTSTRAP; neither:
    an embedded Tansu per stack; so does "tansu"). Refuses (`KafkaRefused`) a cluster whose
    CRM topics hold records.
    Returns what the figures record about the broker."""
    bootstrap = bootstrap or os.environ.get("CRM_KAFKA_BOOTSTRAP") or None
    if not bootstrap or bootstrap in ("tansu", "embedded"):
        os.environ.pop(BENCH_KAFKA, None)
        return {"broker": "tansu (embedded, one per stack)"}
    os.environ[BENCH_KAFKA] = bootstrap
    from crm.config import load_settings

    extra = load_settings().kafka_security.librdkafka()
    _check_empty(bootstrap, extra)
    admin = _admin(bootstrap, extra)
    brokers = len(admin.list_topics(timeout=30).brokers)
    found: dict[str, Any] = {"broker": "external Kafka", "bootstrap": bootstrap,
                             "brokers": brokers}
    with contextlib.suppress(Exception):  # a `crm kafka up` cluster of this CRM_HOME
        from localstack.kafka import layout

        cluster = layout.load(load_settings())
        if cluster is not None and cluster.bootstrap == bootstrap:
            found["broker"] = f"Apache Kafka {cluster.version} (crm kafka up)"
    return found


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def temp_stack(prefix: str = "crm-bench-", commit_timestamps: bool = False,
               keep: bool = False) -> Iterator[Services]:
    """Services on a new embedded stack in a temporary CRM_HOME, torn down afterwards.

    `commit_timestamps` turns on PostgreSQL's `track_commit_timestamp` (a restart), so
    `pg_xact_commit_timestamp(xmin)` tells when each row version became visible.
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    kafka = os.environ.get(BENCH_KAFKA)
    try:
        with _environment(bench_env(home)):
            settings = load_settings()
            extra = settings.kafka_security.librdkafka()
            if kafka:
                _check_empty(kafka, extra)
                _delete_crm_topics(kafka, extra)  # empty ones: new ones, one per stage
            try:
                services = bootstrap(settings)
                if commit_timestamps:
                    _enable_commit_timestamps(services)
                    localstack.down(settings)
                    services = bootstrap(settings)
                _init(services)
                yield services
            finally:
                with contextlib.suppress(Exception):
                    services.engine.dispose()
                    if "projector_engine" in vars(services):  # made only when a projector was
                        services.projector_engine.dispose()
                localstack.down(settings)
                if kafka:
                    _delete_crm_topics(kafka, extra)
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def _admin(bootstrap: str, extra: dict[str, Any]) -> Any:
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap, "log_level": 0, **extra})


def _crm_topics_present(admin: Any) -> list[str]:
    from events.topics import TOPICS

    listed = admin.list_topics(timeout=30).topics
    return [t.name for t in TOPICS if t.name in listed]


class KafkaRefused(RuntimeError):
    """The cluster the bench was pointed at holds CRM records."""


def _check_empty(bootstrap: str, extra: dict[str, Any]) -> None:
    """Refuse a cluster whose CRM topics hold records (a user's data, or what a failed
    bench left): the bench deletes those topics when a stage ends."""
    from events.topics import TOPICS
    from kafka_client.offsets import log_ends

    present = set(_crm_topics_present(_admin(bootstrap, extra)))
    parts = [(t.name, p) for t in TOPICS if t.name in present for p in range(t.partitions)]
    held = {tp: n for tp, n in log_ends(bootstrap, parts, extra).items() if n} if parts else {}
    if held:
        raise KafkaRefused(
            f"the Kafka cluster at {bootstrap} holds CRM records ({len(held)} partitions, "
            f"e.g. {min(held)[0]}); the bench runs only where the CRM's topics are absent or "
            "empty (it deletes them after each stage): use a fresh cluster, e.g. "
            "`crm kafka up` in another CRM_HOME")


def _delete_crm_topics(bootstrap: str, extra: dict[str, Any], timeout: float = 60.0) -> None:
    """Delete the CRM's topics and wait until the cluster no longer lists them."""
    admin = _admin(bootstrap, extra)
    present = _crm_topics_present(admin)
    if not present:
        return
    for future in admin.delete_topics(present, operation_timeout=30).values():
        future.result(timeout)
    deadline = time.monotonic() + timeout
    while _crm_topics_present(admin):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the CRM topics on {bootstrap} were not deleted in {timeout}s")
        time.sleep(0.5)


def _init(services: Services, timeout: float = 60.0) -> None:
    """`services.init()`; on a cluster that just deleted the topics, until every one is
    there again (a deleted name is taken until every broker has let it go)."""
    from confluent_kafka import KafkaException

    from events.topics import TOPICS

    deadline = time.monotonic() + timeout
    while True:
        with contextlib.suppress(KafkaException):
            services.init()
            if len(_crm_topics_present(_admin(services.bootstrap, services.kafka_extra))) \
                    == len(TOPICS):
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"the CRM topics were not created in {timeout}s")
        time.sleep(1.0)


def _enable_commit_timestamps(services: Services) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(services.database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("ALTER SYSTEM SET track_commit_timestamp = on"))
    finally:
        engine.dispose()
