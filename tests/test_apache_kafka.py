"""`crm kafka`: a real 3-broker Apache Kafka cluster, failover, and the CRM on it.

Marked `kafka` (`make test-kafka` runs these alone); they run wherever Java 17+ is
installed, and skip with the reason where it is not. docs/kafka.md.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import NewTopic
from kafka_support import BROKERS, ApacheKafka, recreate_crm_topics, wait_for
from support import create_database, drop_database, temp_home

from events.admin import ensure_topics
from events.dlq import DeadLetter
from events.topics import COMMANDS, EVENT_TOPICS, TOPICS
from kafka_client.offsets import count_records, log_ends
from localstack import StackInfo
from operations.dead_letters import list_dead_letters
from producers.dead_letters import DeadLetterPublisher

pytestmark = [pytest.mark.kafka, pytest.mark.integration]


def create_replicated_topic(kafka: ApacheKafka, partitions: int = 3) -> str:
    """A new topic replicated on all three brokers, each partition's ISR complete."""
    name = f"drill-{uuid.uuid4().hex[:8]}"
    admin = kafka.admin()  # kept: a collected client fails its futures
    futures = admin.create_topics([NewTopic(
        name, num_partitions=partitions, replication_factor=BROKERS,
        config={"min.insync.replicas": "2"})])
    futures[name].result(30)
    wait_for(lambda: _full_isr(kafka, name), 30, f"{name}'s ISRs to hold all brokers")
    return name


def _full_isr(kafka: ApacheKafka, topic: str) -> bool:
    try:
        parts = kafka.partitions(topic, timeout=1.0)
    except KeyError:  # not in the metadata yet
        return False
    return bool(parts) and all(sorted(p.isrs) == [1, 2, 3] for p in parts.values())


def produce_all(bootstrap: str, topic: str, values: list[str]) -> list[str]:
    """Produce with acks=all and idempotence; returns the delivery errors (none expected)."""
    errors: list[str] = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all",
                         "enable.idempotence": True, "log_level": 0,
                         "message.timeout.ms": 60000})
    for value in values:
        producer.produce(topic, key=value, value=value,
                         on_delivery=lambda e, _m: errors.append(str(e)) if e else None)
    left = producer.flush(90)
    return errors + ([f"{left} messages still undelivered"] if left else [])


def read_all(bootstrap: str, topic: str, expected: int) -> list[str]:
    """Every value on `topic` from the beginning (stops once `expected` are read, or 60 s)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"g-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "isolation.level": "read_committed", "log_level": 0})
    consumer.subscribe([topic])
    values: list[str] = []
    try:
        wait_for(lambda: _poll_into(consumer, values) >= expected, 60, f"{expected} records")
    finally:
        consumer.close()
    return values


def _poll_into(consumer: Consumer, values: list[str]) -> int:
    for message in consumer.consume(500, timeout=1.0):
        if message.error() is None:
            values.append(message.value().decode())
    return len(values)


def test_the_cluster_runs_three_brokers_and_replicates_a_topic_on_all_three(
    apache_kafka: ApacheKafka,
) -> None:
    status = apache_kafka.status()

    assert status["bootstrap"] == apache_kafka.bootstrap
    assert [b["id"] for b in status["brokers"]] == [1, 2, 3]
    assert all(b["alive"] and b["pid"] for b in status["brokers"])
    ports = [b["port"] for b in status["brokers"]]
    assert apache_kafka.bootstrap == ",".join(f"127.0.0.1:{p}" for p in ports)
    assert sorted(apache_kafka.admin().list_topics(timeout=10).brokers) == [1, 2, 3]
    assert all((apache_kafka.home / "kafka" / "logs" / f"node-{i}.log").stat().st_size
               for i in (1, 2, 3)), "each broker logs to CRM_HOME/kafka/logs"

    topic = create_replicated_topic(apache_kafka)

    parts = apache_kafka.partitions(topic)
    assert sorted(parts) == [0, 1, 2]
    assert all(sorted(p.replicas) == [1, 2, 3] for p in parts.values())


def test_a_killed_leader_leaves_acks_all_writes_working_and_rejoins_the_isr_when_started(
    apache_kafka: ApacheKafka,
) -> None:
    topic = create_replicated_topic(apache_kafka)
    victim = apache_kafka.partitions(topic)[0].leader
    assert produce_all(apache_kafka.bootstrap, topic, [f"before-{i}" for i in range(100)]) == []

    apache_kafka.crm("kafka", "stop", "--broker", str(victim))

    down = {b["id"]: b for b in apache_kafka.status()["brokers"]}
    assert down[victim]["alive"] is False and down[victim]["pid"] is None
    assert all(b["alive"] for i, b in down.items() if i != victim)
    # acks=all with min.insync.replicas=2: the two survivors acknowledge every write
    assert produce_all(apache_kafka.bootstrap, topic, [f"during-{i}" for i in range(200)]) == []
    assert apache_kafka.partitions(topic)[0].leader != victim, "partition 0 has a new leader"
    wait_for(lambda: all(victim not in p.isrs and len(p.isrs) == 2
                         for p in apache_kafka.partitions(topic).values()),
             30, f"broker {victim} to leave the ISRs")

    apache_kafka.crm("kafka", "start", "--broker", str(victim))

    assert {b["id"]: b["alive"] for b in apache_kafka.status()["brokers"]} == {
        1: True, 2: True, 3: True}
    wait_for(lambda: _full_isr(apache_kafka, topic), 90, f"broker {victim} to rejoin the ISRs")
    values = read_all(apache_kafka.bootstrap, topic, 300)
    assert sorted(values) == sorted([f"before-{i}" for i in range(100)]
                                    + [f"during-{i}" for i in range(200)]), \
        "no write lost and none duplicated"


@pytest.fixture
def two_databases(stack: StackInfo) -> Iterator[tuple[str, str]]:
    """Two new, empty databases on the session's PostgreSQL (dropped afterwards)."""
    urls = (create_database(stack.database_url), create_database(stack.database_url))
    yield urls
    for url in urls:
        drop_database(url)


def test_a_backfill_on_apache_kafka_through_a_killed_leader_and_its_rebuild_give_tansus_tables(
    apache_kafka: ApacheKafka, fresh_kafka: str, two_databases: tuple[str, str],
) -> None:
    recreate_crm_topics(apache_kafka)
    backfill = ("backfill", "--days", "2", "--end-date", "2026-03-02", "--seed", "7",
                "--scale", "0.2")
    digests = {}
    for broker, bootstrap, db in (("apache", apache_kafka.bootstrap, two_databases[0]),
                                  ("tansu", fresh_kafka, two_databases[1])):
        with temp_home(f"crm-backfill-{broker}-") as home:
            env = {"CRM_HOME": str(home), "CRM_KAFKA_BOOTSTRAP": bootstrap,
                   "CRM_DATABASE_URL": db}
            if broker == "apache":
                kill_the_commands_leader_during(apache_kafka, backfill, env, home / "run.log")
            else:
                apache_kafka.crm(*backfill, env=env)
            digests[broker] = apache_kafka.crm("checksum", env=env).stdout.split()[-1]
            if broker == "apache":  # the read tables rebuilt from Apache Kafka's log
                apache_kafka.crm("rebuild", env=env)
                digests["rebuilt"] = apache_kafka.crm("checksum", env=env).stdout.split()[-1]

    assert digests["apache"] == digests["tansu"] == digests["rebuilt"]
    assert len(digests["apache"]) == 64
    assert all(len(p.replicas) == 3 for name in (COMMANDS, TOPICS[1].name)
               for p in apache_kafka.partitions(name).values()), \
        "the CRM's topics are replicated on all three brokers (the broker default)"


def kill_the_commands_leader_during(kafka: ApacheKafka, backfill: tuple[str, ...],
                                    env: dict[str, str], log: Path) -> None:
    """Start the backfill; as it starts publishing, kill -9 crm.commands' leader, which
    leads event partitions too (the topics were just created: each broker leads some),
    start it again, and let the backfill finish (it must, by itself, with exit code 0).

    The publisher first asks every partition for its offsets (to skip what Kafka holds):
    on a dead leader that failed with NOT_LEADER_FOR_PARTITION before it was retried.
    Then it writes the inputs and the events while those partitions' leadership moves.
    """
    leader = kafka.partitions(COMMANDS)[0].leader
    led = [(t, p) for t in EVENT_TOPICS for p, m in kafka.partitions(t).items()
           if m.leader == leader]
    assert led, f"broker {leader} leads crm.commands and an event partition"
    run = kafka.crm_started(*backfill, env=env, log=log)
    try:
        time.sleep(5)  # the CLI has started and migrated; its publisher is starting
        kafka.crm("kafka", "stop", "--broker", str(leader))
        # down until the cluster fenced it (9 s) and its partitions have new leaders: the
        # backfill writes to those, whatever its JVM's restart takes
        wait_for(lambda: all(kafka.partitions(t)[p].leader != leader
                             for t, p in [(COMMANDS, 0), *led]), 60,
                 f"new leaders for broker {leader}'s partitions")
        kafka.crm("kafka", "start", "--broker", str(leader))  # waits until it serves
        assert run.wait(300) == 0, log.read_text()[-3000:]
    finally:
        if run.poll() is None:
            run.kill()
    assert log_ends(kafka.bootstrap, [(COMMANDS, 0)])[(COMMANDS, 0)] > 0


def test_dead_letters_published_to_apache_kafka_are_read_back_newest_last(
    apache_kafka: ApacheKafka,
) -> None:
    # reading "the newest N" needs each partition's log end: Tansu and Kafka answer
    # ListOffsets differently (docs/kafka.md); the reader must be right on both
    marker = uuid.uuid4().hex.encode()
    letters = [DeadLetter(marker + bytes([n]), f"reason {n}", "crm.test", 0, n, marker)
               for n in range(3)]

    ensure_topics(apache_kafka.bootstrap)
    with DeadLetterPublisher(apache_kafka.bootstrap) as publisher:
        assert publisher.publish_all(letters) == 3

    assert [e.letter for e in list_dead_letters(apache_kafka.bootstrap, limit=3)] == letters
    assert [e.letter for e in list_dead_letters(apache_kafka.bootstrap, limit=1)] == letters[-1:]


def test_log_ends_stop_after_the_last_record_a_reader_can_read_not_at_markers(
    apache_kafka: ApacheKafka,
) -> None:
    """Ends (kafka_client.offsets) are compared with 'last offset read + 1' (projector,
    core group, demo, bench): a commit marker, an aborted transaction and an open one
    take offsets that no reader ever gets, so they are not part of the end."""
    topic = create_replicated_topic(apache_kafka, partitions=1)
    bootstrap, part = apache_kafka.bootstrap, [(topic, 0)]
    plain = Producer({"bootstrap.servers": bootstrap, "log_level": 0})
    tx = Producer({"bootstrap.servers": bootstrap, "log_level": 0,
                   "transactional.id": f"ends-{topic}"})
    tx.init_transactions(30)

    def transaction(values: list[bytes], commit: bool) -> None:
        tx.begin_transaction()
        for value in values:
            tx.produce(topic, value, partition=0)
        tx.flush(30)
        if commit:
            tx.commit_transaction(30)
        else:
            tx.abort_transaction(30)

    def ends(isolation: str = "read_committed") -> int:
        return log_ends(bootstrap, part, {"isolation.level": isolation})[(topic, 0)]

    # a commit returns before its markers are written: until then the partition's
    # transaction is open to a read_committed reader (its end stays before it)
    transaction([b"a", b"b"], commit=True)  # offsets 0, 1; marker 2
    wait_for(lambda: ends() == 2, 30, "the commit's marker")
    assert ends("read_uncommitted") == 2
    transaction([b"c"], commit=False)  # 3 aborted; marker 4
    assert (ends(), ends("read_uncommitted")) == (2, 4)
    plain.produce(topic, b"d", partition=0)  # 5
    plain.flush(30)
    tx.begin_transaction()  # 6, open
    tx.produce(topic, b"e", partition=0)
    tx.flush(30)
    assert (ends(), ends("read_uncommitted")) == (6, 7)
    tx.commit_transaction(30)  # marker 7
    wait_for(lambda: ends() == 7, 30, "the commit's marker")
    assert ends("read_uncommitted") == 7
    # records are counted by reading them (bench's events): a, b, d, e; from 5: d, e
    assert count_records(bootstrap, {}, {(topic, 0): 7}) == 4
    assert count_records(bootstrap, {(topic, 0): 5}, {(topic, 0): 7}) == 2
