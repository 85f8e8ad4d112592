"""Security: Kafka SASL/SCRAM/TLS settings reach every client (confluent-kafka and faust)
from the environment, and are never printed; PostgreSQL roles hold only what they need."""

from __future__ import annotations

import contextlib
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from faults_support import crm_env
from sqlalchemy.exc import ProgrammingError
from support import temp_home

# markers per test, by what each needs: the server-free ones run in `make test-fast`

PASSWORD = "hunter2-Sup3r-s3cret"
DB_PASSWORD = "db-pa55-s3cret"


def ca_file() -> str:
    """A real CA bundle (faust builds an SSL context from it)."""
    path = ssl.get_default_verify_paths().cafile
    if path and Path(path).exists():
        return path
    import certifi

    return certifi.where()


@pytest.fixture
def secure_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {"CRM_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
           "CRM_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
           "CRM_KAFKA_SASL_USERNAME": "crm-core",
           "CRM_KAFKA_SASL_PASSWORD": PASSWORD,
           "CRM_KAFKA_SSL_CA_LOCATION": ca_file()}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


EXPECTED = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": "crm-core", "sasl.password": PASSWORD}


class _Built(Exception):
    """Raised by a fake client's first method call: the configuration is captured."""


class Recorder:
    """Stands in for confluent-kafka's Producer, Consumer and AdminClient."""

    configs: list[tuple[str, dict[str, Any]]] = []

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(self, conf: dict[str, Any], **kwargs: Any) -> Any:
        Recorder.configs.append((self.kind, dict(conf)))
        return _Fake()


class _Fake:
    def __getattr__(self, name: str) -> Any:
        def method(*args: Any, **kwargs: Any) -> Any:
            raise _Built(name)

        return method


def test_kafka_security_reaches_every_client(secure_env: dict[str, str],
                                             monkeypatch: pytest.MonkeyPatch,
                                             tmp_path: Path) -> None:
    import archive.log
    import backfill.publish
    import events.admin
    import events.core_group
    import kafka_client.offsets
    import operations.dead_letters
    import operations.erp_worker
    import operations.live_figures
    import processors.warmup
    import producers.dead_letters
    import producers.kafka
    import projectors.runner
    from crm.config import load_settings

    extra = load_settings().kafka_security.librdkafka()
    assert {k: v for k, v in extra.items() if k != "ssl.ca.location"} == EXPECTED
    assert extra["ssl.ca.location"] == secure_env["CRM_KAFKA_SSL_CA_LOCATION"]

    for module, names in ((producers.kafka, ["Producer"]),
                          (producers.dead_letters, ["Producer"]),
                          (kafka_client.offsets, ["Consumer"]),
                          (archive.log, ["Producer", "Consumer"]),
                          (projectors.runner, ["Consumer"]),
                          (events.core_group, ["Consumer"]),  # warm-up, backfill publish
                          (operations.erp_worker, ["Consumer"]),
                          (operations.dead_letters, ["Consumer"]),
                          (operations.live_figures, ["Consumer"]),
                          (events.admin, ["AdminClient"])):
        for name in names:
            monkeypatch.setattr(module, name, Recorder(f"{module.__name__}.{name}"))
    Recorder.configs = []
    bootstrap = "broker.example:9093"
    builders: list[Callable[[], Any]] = [
        lambda: producers.kafka.MessageProducer(bootstrap, extra=extra),
        lambda: producers.dead_letters.DeadLetterPublisher(bootstrap, extra),
        lambda: kafka_client.offsets.log_ends(bootstrap, [("crm.leads", 0)], extra),
        lambda: archive.log.Archiver(tmp_path, bootstrap, extra),
        lambda: archive.log.restore(tmp_path, bootstrap, extra),
        lambda: projectors.runner.Projector(None, bootstrap, extra=extra),  # type: ignore
        lambda: processors.warmup.warm_up(None, bootstrap, "g", extra),  # type: ignore
        lambda: backfill.publish.publish(tmp_path, bootstrap, extra),
        lambda: operations.erp_worker.run_erp(bootstrap, lambda: True, None, extra),
        lambda: operations.dead_letters.list_dead_letters(bootstrap, extra),
        lambda: operations.live_figures.LiveFigures(bootstrap, None, extra),  # type: ignore
        lambda: events.admin.ensure_topics(bootstrap, extra),
    ]
    for build in builders:
        with contextlib.suppress(_Built, AttributeError, TypeError):
            build()
    kinds = {kind for kind, _ in Recorder.configs}
    assert len(kinds) >= 11, kinds
    for kind, conf in Recorder.configs:
        missing = {k: v for k, v in EXPECTED.items() if conf.get(k) != v}
        assert not missing, f"{kind} built without {sorted(missing)}"


def test_the_faust_worker_gets_the_same_credentials(secure_env: dict[str, str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    import faust
    from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth

    import operations.live_workers
    from crm.bootstrap import Services
    from crm.config import load_settings
    from localstack import StackInfo

    settings = load_settings()
    services = Services(settings, StackInfo("postgresql://x@/y", "broker.example:9093",
                                            False, False, None, None))
    built: list[faust.App] = []
    monkeypatch.setattr(operations.live_workers, "bootstrap", lambda start=False: services)
    monkeypatch.setattr(operations.live_workers, "warm_up", lambda *args, **kwargs: 0)
    monkeypatch.setattr(operations.live_workers, "choose_guarantee", lambda *args: "at_least_once")
    monkeypatch.setattr(operations.live_workers, "run_worker", built.append)
    operations.live_workers.run_core()  # `crm run --role core`, up to starting the worker
    [app] = built
    credentials = app.conf.broker_credentials
    assert isinstance(credentials, faust.SASLCredentials)
    auth = credentials_to_aiokafka_auth(credentials)
    assert auth["security_protocol"] == "SASL_SSL"
    assert auth["sasl_mechanism"] == "SCRAM-SHA-512"
    assert auth["sasl_plain_username"] == "crm-core"
    assert auth["sasl_plain_password"] == PASSWORD
    assert isinstance(auth["ssl_context"], ssl.SSLContext)
    assert PASSWORD not in repr(credentials)


def crm_status(home: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "crm.cli", "status", *args],
                          env={**env, "COLUMNS": "400"}, capture_output=True, text=True,
                          timeout=60)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "broker.example:9093" in out  # it did report the servers
    return out


def test_crm_status_never_prints_the_kafka_password(secure_env: dict[str, str]) -> None:
    with temp_home() as home:
        env = crm_env(home, "broker.example:9093", "postgresql://crm@db.example:5432/crm",
                      **secure_env)
        for args in ((), ("--json",)):
            assert PASSWORD not in crm_status(home, env, *args)


def test_crm_status_never_prints_the_database_password(secure_env: dict[str, str]) -> None:
    with temp_home() as home:
        env = crm_env(home, "broker.example:9093",
                      f"postgresql://crm:{DB_PASSWORD}@db.example:5432/crm", **secure_env)
        as_json = crm_status(home, env, "--json")
        assert DB_PASSWORD not in as_json
        assert "***" in json.loads(as_json)["database_url"]
        assert DB_PASSWORD not in crm_status(home, env)


def test_settings_never_show_the_password(secure_env: dict[str, str]) -> None:
    from crm.config import load_settings

    settings = load_settings()
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert os.environ["CRM_KAFKA_SASL_PASSWORD"] == PASSWORD


@pytest.mark.faults
@pytest.mark.integration
def test_analyst_cannot_write_and_projector_role_has_only_the_tables(stack,
                                                                      fresh_db_url: str) -> None:
    """Beyond test_read_model_contract: no role but the owner changes the schema."""
    from projectors.db import ANALYST_ROLE, WRITER_ROLE, ensure_roles, make_engine, migrate

    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    ensure_roles(engine)
    refused = {
        ANALYST_ROLE: ["UPDATE leads SET city = 'x'", "DELETE FROM leads", "TRUNCATE leads",
                       "INSERT INTO accounts (account_id, account_number, account_name) "
                       "VALUES ('a', 'b', 'c')",
                       "CREATE TABLE public.mine (x int)",
                       "UPDATE crm_meta.projector_offsets SET next_offset = 0"],
        WRITER_ROLE: ["CREATE TABLE public.mine (x int)", "DROP TABLE leads",
                      "ALTER TABLE leads ADD COLUMN x int", "CREATE SCHEMA mine",
                      "CREATE ROLE intruder", "TRUNCATE crm_meta.projector_offsets",
                      "SELECT * FROM pg_authid"],
    }
    try:
        with engine.connect() as conn:
            for role, statements in refused.items():
                conn.execute(sa.text(f"SET ROLE {role}"))
                for statement in statements:
                    with pytest.raises(ProgrammingError) as caught, conn.begin_nested():
                        conn.execute(sa.text(statement))
                    assert caught.value.orig.pgcode == "42501", (role, statement)
                conn.rollback()
            conn.execute(sa.text(f"SET ROLE {ANALYST_ROLE}"))
            conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one()
            conn.rollback()
    finally:
        engine.dispose()
