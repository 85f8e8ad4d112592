"""Exactly-once output of the core worker on Apache Kafka, through a kill -9 (issue 16).

The faust core worker runs with `exactly_once` where the broker honours transactions
(processors.exactly_once): a worker killed -9 with open transactions is restarted, and a
`read_committed` consumer of the event topics and `erp.sales-orders` sees every derived
event once, byte for byte what the in-process fold derives. Those tests are marked `kafka`
(the session cluster of tests/kafka_support.py); the setting's parsing and the probe's
client settings are checked without a broker. docs/kafka.md, "Exactly once".
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from confluent_kafka import Consumer, KafkaException, TopicPartition
from kafka_support import ApacheKafka, recorded_log, recreate_crm_topics, wait_for
from support import create_database, drop_database, project, temp_home

from events.admin import ensure_topics
from events.codec import AvroCodec
from events.topics import COMMANDS, EVENT_PARTITIONS, EVENT_TOPICS, SALES_ORDERS
from localstack import StackInfo
from processors.exactly_once import broker_honours_transactions, choose_guarantee
from processors.faust_app import APP_ID
from producers.kafka import MessageProducer
from producers.partitioner import partition_for
from projectors.db import make_engine, migrate, table_digest

DAYS, SCALE = 14, 0.2  # the history of test_runtimes_agree: recorded once a session


def read_events(bootstrap: str, isolation: str, idle: float = 3.0
                ) -> dict[tuple[str, int], list[bytes]]:
    """Every record of the event topics, per partition, as an `isolation` reader sees
    them (until nothing new arrives for `idle` s)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"eos-{isolation}",
                         "enable.auto.commit": False, "isolation.level": isolation,
                         "log_level": 0})
    consumer.assign([TopicPartition(t, p, 0) for t in EVENT_TOPICS
                     for p in range(EVENT_PARTITIONS)])
    found: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    last = time.monotonic()
    try:
        while time.monotonic() - last < idle:
            for msg in consumer.consume(10_000, timeout=0.5):
                if msg.error() is None:
                    found[(msg.topic(), msg.partition())].append(msg.value())
                    last = time.monotonic()
    finally:
        consumer.close()
    return found


def duplicates(found: dict[tuple[str, int], list[bytes]], codec: AvroCodec) -> Counter[str]:
    """Event ids seen more than once, with how many extra times."""
    seen = Counter(codec.decode(v).event_id for values in found.values() for v in values)
    return Counter({eid: n - 1 for eid, n in seen.items() if n > 1})


def committed_input(bootstrap: str) -> int:
    """The core's committed offset on crm.commands (0 before its first commit, and while
    the group's coordinator moves: NOT_COORDINATOR)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": APP_ID, "log_level": 0})
    try:
        return max(0, consumer.committed([TopicPartition(COMMANDS, 0)], timeout=10)[0].offset)
    except KafkaException:
        return 0
    finally:
        consumer.close()


def start_core(kafka: ApacheKafka, home: Path, log: Path, database_url: str
               ) -> subprocess.Popen[bytes]:
    """`crm run --role core` on the cluster, with the default guarantee (auto)."""
    env = {**os.environ, "CRM_HOME": str(home), "CRM_KAFKA_BOOTSTRAP": kafka.bootstrap,
           "CRM_DATABASE_URL": database_url}
    env.pop("CRM_PROCESSING_GUARANTEE", None)
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "crm.cli", "run", "--role", "core"],
                                env=env, stdout=out, stderr=subprocess.STDOUT)


@pytest.fixture
def database(stack: StackInfo) -> Iterator[sa.Engine]:
    url = create_database(stack.database_url)
    migrate(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
    drop_database(url)


@pytest.mark.kafka
@pytest.mark.integration
def test_the_broker_probe_says_apache_kafka_honours_transactions_and_tansu_does_not(
    apache_kafka: ApacheKafka, fresh_kafka: str,
) -> None:
    ensure_topics(apache_kafka.bootstrap)
    assert broker_honours_transactions(apache_kafka.bootstrap)
    assert choose_guarantee(apache_kafka.bootstrap, setting="auto") == "exactly_once"
    assert not broker_honours_transactions(fresh_kafka)
    assert choose_guarantee(fresh_kafka, setting="") == "at_least_once"
    assert choose_guarantee(fresh_kafka, setting="exactly_once") == "exactly_once"


@pytest.mark.kafka
@pytest.mark.integration
def test_a_core_worker_killed_mid_work_gives_read_committed_consumers_each_event_once(
    apache_kafka: ApacheKafka, database: sa.Engine, stack: StackInfo,
) -> None:
    recreate_crm_topics(apache_kafka)
    inputs, core, derived = recorded_log("business", DAYS, SCALE)
    expected: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    for out in map(core.encode, derived):
        expected[(out.topic, partition_for(out.topic, out.key))].append(out.value)
    orders = sum(len(v) for (t, _), v in expected.items() if t == SALES_ORDERS)
    assert orders > 0, "the history asks the ERP for sales orders"

    def live_traffic() -> None:  # inputs arrive while it works, faster than it folds them
        step = len(inputs) // 20 + 1
        with MessageProducer(apache_kafka.bootstrap) as producer:
            for start in range(0, len(inputs), step):
                producer.send_all(inputs[start:start + step])
                time.sleep(0.1)

    with temp_home("crm-eos-") as home:
        log = home / "core.log"
        traffic = threading.Thread(target=live_traffic, daemon=True)
        traffic.start()
        worker = start_core(apache_kafka, home, log, stack.database_url)
        starts = 1
        try:
            # mid-work: some input offsets committed, more inputs to come, and records of
            # an open transaction in the log. A kill can fall between two commits (nothing
            # in flight): then the worker is restarted and killed again further on, each
            # kill a real one, until one lands inside a transaction.
            for attempt in range(1, 6):
                target = len(inputs) * attempt // 8
                wait_for(lambda w=worker, t=target: committed_input(apache_kafka.bootstrap) > t
                         or w.poll() is not None, 300, "the worker's commits")
                assert worker.poll() is None, log.read_text()[-3000:]
                worker.send_signal(signal.SIGKILL)
                worker.wait(30)
                at_kill = committed_input(apache_kafka.bootstrap)
                written = read_events(apache_kafka.bootstrap, "read_uncommitted")
                visible = read_events(apache_kafka.bootstrap, "read_committed")
                in_flight = sum(map(len, written.values())) - sum(map(len, visible.values()))
                assert at_kill < len(inputs), "the kill landed before the last input committed"
                if in_flight > 0:
                    break
                worker = start_core(apache_kafka, home, log, stack.database_url)
                starts += 1
            traffic.join(120)
            assert in_flight > 0, "a kill landed with records of an open transaction"

            worker = start_core(apache_kafka, home, log, stack.database_url)
            wait_for(lambda: committed_input(apache_kafka.bootstrap) >= len(inputs)
                     or worker.poll() is not None, 300, "the restarted worker's commits")
            assert worker.poll() is None, log.read_text()[-3000:]
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(60)
        text = log.read_text()
        assert text.count("core: exactly_once") == starts + 1, text[-3000:]

    codec = AvroCodec()
    committed = read_events(apache_kafka.bootstrap, "read_committed")
    everything = read_events(apache_kafka.bootstrap, "read_uncommitted")
    seen_twice = duplicates(everything, codec)
    print(f"\n{len(inputs)} inputs, {len(derived)} events ({orders} to the ERP); "
          f"killed with {at_kill} inputs committed and {in_flight} records in flight; "
          f"read_uncommitted sees {sum(seen_twice.values())} duplicates of "
          f"{len(seen_twice)} events, read_committed "
          f"{sum(duplicates(committed, codec).values())}")
    assert duplicates(committed, codec) == Counter()
    assert set(committed) == set(expected)
    for tp in expected:
        assert committed[tp] == expected[tp], f"{tp} differs from the in-process fold"
    assert seen_twice, "without read_committed the re-derived records are seen twice"

    clean_url = create_database(stack.database_url)
    try:
        migrate(clean_url)
        clean = make_engine(clean_url)
        project(clean, derived)
        project(database, [codec.decode(v) for values in committed.values() for v in values])
        assert table_digest(database) == table_digest(clean)
        clean.dispose()
    finally:
        drop_database(clean_url)


def test_the_setting_forces_a_guarantee_and_auto_asks_the_broker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import processors.exactly_once as eos

    asked: list[str] = []
    monkeypatch.setattr(eos, "broker_honours_transactions",
                        lambda bootstrap, extra=None: asked.append(bootstrap) or True)
    monkeypatch.delenv(eos.GUARANTEE_ENV, raising=False)

    assert eos.choose_guarantee("b:1", setting="at_least_once") == eos.AT_LEAST_ONCE
    assert eos.choose_guarantee("b:1", setting=" Exactly_Once ") == eos.EXACTLY_ONCE
    assert asked == [], "a forced guarantee probes nothing"
    assert eos.choose_guarantee("b:2") == eos.EXACTLY_ONCE  # unset: auto
    monkeypatch.setenv(eos.GUARANTEE_ENV, "auto")
    assert eos.choose_guarantee("b:3") == eos.EXACTLY_ONCE
    assert asked == ["b:2", "b:3"]
    monkeypatch.setenv(eos.GUARANTEE_ENV, "at_least_once")
    assert eos.choose_guarantee("b:4") == eos.AT_LEAST_ONCE
    with pytest.raises(ValueError, match="exactly_once"):
        eos.choose_guarantee("b:5", setting="twice")


def test_the_probe_and_the_warm_up_use_the_security_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import events.core_group
    import processors.exactly_once as eos
    import processors.warmup

    configs: list[dict[str, object]] = []

    class Refused(Exception):
        pass

    class Client:  # records its settings; refuses every call but close()
        def __init__(self, conf: dict[str, object]) -> None:
            configs.append(conf)

        def close(self) -> None:
            pass

        def __getattr__(self, name: str) -> object:
            raise Refused(name)

    monkeypatch.setattr(eos, "Consumer", Client)
    monkeypatch.setattr(eos, "Producer", Client)
    monkeypatch.setattr(events.core_group, "Consumer", Client)
    extra = {"security.protocol": "SASL_SSL", "sasl.username": "crm-core"}
    for call in (lambda: eos.broker_honours_transactions("b:1", extra),
                 lambda: processors.warmup.warm_up(None, "b:1", "g", extra,  # type: ignore
                                                   "read_committed")):
        with pytest.raises(Refused):
            call()
    assert len(configs) == 3  # the probe's consumer and producer, the warm-up's consumer
    assert all(c["security.protocol"] == "SASL_SSL" and c["sasl.username"] == "crm-core"
               for c in configs)
    assert [str(c.get("transactional.id", "")).startswith(eos.PROBE_GROUP)
            for c in configs] == [True, False, False]
    assert configs[2]["isolation.level"] == "read_committed"


def test_a_commit_sends_the_offsets_of_inputs_acked_while_it_waited_for_the_lock() -> None:
    from faust.types import TP

    from processors.exactly_once import offsets_to_commit

    a, b, c = TP(COMMANDS, 0), TP(COMMANDS, 1), TP(COMMANDS, 2)
    faust_chose = {a: 10, b: 7}
    acked_since = {a: 12, c: 3}  # a's inputs 10 and 11 were sent while the commit waited

    assert offsets_to_commit(faust_chose, acked_since) == {a: 12, b: 7}
    assert offsets_to_commit({a: 12}, {a: 10}) == {a: 12}, "never an earlier offset"
