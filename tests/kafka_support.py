"""The brokers of the tests that touch Kafka (docs/kafka.md), and helpers shared by them.

`apache_kafka`: one 3-broker Apache Kafka cluster (`crm kafka up`'s code) per test
session, in a CRM_HOME of its own; the tests drive it through the real CLI (`python -m
crm.cli kafka ...`) as a user would. Skipped, with the reason, only where no Java 17+ is
installed. A test that stops a broker starts it again before it ends.

`any_broker`: a test asking for it runs twice, on Tansu (a broker of its own) and on the
session's Apache Kafka cluster (marked `kafka`), each time with the CRM's topics empty.

Fixture and helper names here are used by several test modules (test_apache_kafka,
test_kafka_exactly_once, test_kafka_failover, ...): keep them stable.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import temp_home

from crm.config import Settings, load_settings
from localstack.kafka import assemble, cluster

if TYPE_CHECKING:
    from domain.kernel.messages import Event, Message
    from processors.core import CoreProcessor

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

    Brought up once; a test that stops a broker starts it again before it ends.
    CRM_TEST_KAFKA_HOME=DIR uses (and leaves running) the cluster of CRM_HOME=DIR instead."""
    if not assemble.java_available():
        pytest.skip("the Apache Kafka tests need Java 17+ (and Maven once, to fetch the "
                    "jars): apt-get install openjdk-17-jre-headless maven")
    kept = os.environ.get("CRM_TEST_KAFKA_HOME")
    if kept:  # a cluster kept between runs (`crm kafka up` there): faster edit-test loops
        settings = dataclasses.replace(load_settings(), home=Path(kept), kafka_bootstrap=None)
        found = cluster.up(settings, brokers=BROKERS, version=VERSION)
        yield ApacheKafka(settings, found.bootstrap)
        return
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


TANSU, APACHE = "tansu", "apache-kafka"


@pytest.fixture(params=[TANSU, pytest.param(APACHE, marks=pytest.mark.kafka)])
def any_broker(request: pytest.FixtureRequest) -> Iterator[str]:
    """Bootstrap of a broker whose CRM topics exist and are empty, once per broker:
    a Tansu of the test's own (killed afterwards, as `own_kafka`), then the session's
    Apache Kafka cluster with its CRM topics deleted and created again (`kafka`)."""
    if request.param == APACHE:
        kafka: ApacheKafka = request.getfixturevalue("apache_kafka")
        recreate_crm_topics(kafka)
        yield kafka.bootstrap
        return
    from faults_support import broker_of, own_broker

    with tempfile.TemporaryDirectory(prefix="crm-kafka-") as home, \
            own_broker(Path(home)) as settings:
        yield broker_of(settings)


@functools.cache
def recorded_log(simulation: str, days: int, scale: float
                 ) -> tuple[list[Message], CoreProcessor, list[Event]]:
    """A simulated input log (seed 11 from 2026-01-01, every half hour for `days`), the
    in-process core that folded it, and the events it derived, in order. Computed once
    per session (tens of seconds): callers must not change what it returns."""
    from backfill.run import simulation_factory
    from domain.kernel.messages import utc
    from processors.core import CoreProcessor

    core = CoreProcessor()
    inputs: list[Message] = []
    derived: list[Event] = []

    def submit(message: Message) -> list[Event]:
        inputs.append(message)
        events = core.process(message)
        derived.extend(events)
        return events

    start = utc(2026, 1, 1)
    sim = simulation_factory(simulation)(11, start, scale, erp_in_process=True)
    for n in range(1, days * 48 + 1):
        sim.cycle(start + timedelta(minutes=30 * n), submit)
    return inputs, core, derived


def read_topics(bootstrap: str) -> dict[tuple[str, int], list[bytes]]:
    """Every committed record of the event topics, per partition, up to today's ends.

    It reads `read_committed` and stops when the consumer's position reaches each end,
    not after a count of records: under exactly-once (Apache Kafka) transaction markers
    take offsets that are never delivered as records."""
    from confluent_kafka import Consumer, TopicPartition

    from events.topics import EVENT_TOPICS, TOPICS
    from kafka_client.offsets import log_ends

    ends = log_ends(bootstrap, [(s.name, p) for s in TOPICS for p in range(s.partitions)
                                if s.name in EVENT_TOPICS])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "agree-reader",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    found: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    pending = {tp: end for tp, end in ends.items() if end}
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in pending])
    while pending:
        for msg in consumer.consume(10_000, timeout=1.0):
            if not msg.error():
                found[(msg.topic(), msg.partition())].append(msg.value())
        for tp in consumer.position([TopicPartition(t, p) for (t, p) in pending]):
            if tp.offset >= pending[(tp.topic, tp.partition)]:
                del pending[(tp.topic, tp.partition)]
    consumer.close()
    return found


def core_folded(bootstrap: str) -> int:
    """The core group's committed offset on crm.commands (0 before its first commit and
    while its coordinator moves)."""
    from confluent_kafka import KafkaException

    from events.core_group import core_group_consumer, folded_inputs

    consumer = core_group_consumer(bootstrap)
    try:
        return max(0, folded_inputs(consumer, timeout=10))
    except KafkaException:
        return 0
    finally:
        consumer.close()
