"""The Apache Kafka cluster of the `kafka`-marked tests (docs/kafka.md), and helpers.

One 3-broker cluster (`crm kafka up`'s code) per test session, in a CRM_HOME of its own;
the tests drive it through the real CLI (`python -m crm.cli kafka ...`) as a user would.
Skipped, with the reason, only where no Java 17+ is installed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import temp_home

from crm.config import Settings, load_settings
from localstack.kafka import assemble, cluster

BROKERS = 3
# The release under test: CRM_KAFKA_VERSION (as for `crm kafka up`), else the default.
VERSION = os.environ.get("CRM_KAFKA_VERSION", "").strip() or assemble.DEFAULT_VERSION


@dataclasses.dataclass
class ApacheKafka:
    """The session's cluster: where it lives and how to talk to it."""

    settings: Settings
    bootstrap: str

    @property
    def home(self) -> Path:
        return self.settings.home

    def crm(self, *args: str, env: dict[str, str] | None = None,
            timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        """Run `crm ARGS` with this cluster's CRM_HOME (or `env` on top); must exit 0."""
        full = {**os.environ, "CRM_HOME": str(self.home), **(env or {})}
        done = subprocess.run([sys.executable, "-m", "crm.cli", *args], env=full, text=True,
                              capture_output=True, timeout=timeout)
        assert done.returncode == 0, f"crm {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done

    def crm_started(self, *args: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        """Start `crm ARGS` (with `env` on top of this cluster's CRM_HOME) without waiting;
        its output goes to `log`."""
        full = {**os.environ, "CRM_HOME": str(self.home), **env}
        with log.open("wb") as out:
            return subprocess.Popen([sys.executable, "-m", "crm.cli", *args], env=full,
                                    stdout=out, stderr=subprocess.STDOUT)

    def status(self) -> dict[str, Any]:
        """`crm kafka status --json`."""
        return dict(json.loads(self.crm("kafka", "status", "--json").stdout))

    def admin(self) -> Any:
        from confluent_kafka.admin import AdminClient

        return AdminClient({"bootstrap.servers": self.bootstrap, "log_level": 0})

    def partitions(self, topic: str, timeout: float = 15.0) -> dict[int, Any]:
        """The topic's partitions' metadata (leader, replicas, isrs) as the cluster sees it.

        Each broker answers from its own copy of the metadata, a new topic reaches them
        one by one: a broker that does not know it yet is asked again."""
        admin = self.admin()
        deadline = time.monotonic() + timeout
        while True:
            found = admin.list_topics(topic, timeout=10).topics.get(topic)
            if found is not None and found.error is None and found.partitions:
                return dict(found.partitions)
            if time.monotonic() > deadline:
                raise KeyError(f"{topic} is unknown to the cluster: {found}")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def apache_kafka() -> Iterator[ApacheKafka]:
    """A 3-broker Apache Kafka cluster (KRaft, combined nodes) for the whole session.

    Brought up once; a test that stops a broker starts it again before it ends."""
    if not assemble.java_available():
        pytest.skip("the Apache Kafka tests need Java 17+ (and Maven once, to fetch the "
                    "jars): apt-get install openjdk-17-jre-headless maven")
    with temp_home("crm-apache-kafka-") as home:
        settings = dataclasses.replace(load_settings(), home=home, kafka_bootstrap=None)
        try:
            found = cluster.up(settings, brokers=BROKERS, version=VERSION)
            yield ApacheKafka(settings, found.bootstrap)
        finally:  # kill -9: a controlled shutdown of the data about to be wiped is wasted time
            for node in (cluster.load(settings) or cluster.Cluster(home, "", "", "")).nodes:
                cluster.stop_broker(settings, node.id)
            cluster.down(settings, wipe=True)


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    """Poll `predicate` every 0.5 s; fail the test naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.5)


def recreate_crm_topics(kafka: ApacheKafka, timeout: float = 60.0) -> None:
    """Delete the CRM's topics on the cluster and create them empty (for tests that read
    whole topics, as `fresh_kafka` gives a Tansu of their own)."""
    from confluent_kafka import KafkaException

    from events.admin import ensure_topics
    from events.topics import TOPICS

    admin = kafka.admin()
    names = [t.name for t in TOPICS]
    present = [n for n in names if n in admin.list_topics(timeout=10).topics]
    if present:
        for future in admin.delete_topics(present, operation_timeout=30).values():
            future.result(timeout)
        wait_for(lambda: not set(present) & set(admin.list_topics(timeout=10).topics),
                 timeout, "the deleted topics to leave the metadata")
    deadline = time.monotonic() + timeout
    while True:  # a deleted topic's name is taken until every broker has let it go
        try:
            ensure_topics(kafka.bootstrap)
            break
        except KafkaException:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
    wait_for(lambda: all(len(p.isrs) == BROKERS for name in names
                         for p in kafka.partitions(name).values()),
             timeout, "the new topics' ISRs")
