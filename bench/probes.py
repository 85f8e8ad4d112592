"""What the live bench reads to time the path from command to row, without touching the
code under test: a lead's row visible and the commit time of its last version
(`track_commit_timestamp`), the producer timestamp of its last derived event, and the
number of events on the log."""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa

from crm.bootstrap import Services
from events.topics import EVENT_PARTITIONS, EVENT_TOPICS
from kafka_client.offsets import count_records, log_ends


def visible_leads(engine: sa.Engine, prefix: str) -> int:
    """Leads whose id starts with `prefix` and whose row is complete (graded)."""
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT count(*) FROM leads WHERE lead_id LIKE :p AND lead_grade IS NOT NULL"),
            {"p": prefix + "%"}).scalar_one()


def wait_rows(engine: sa.Engine, prefix: str, expected: int, timeout: float,
               check: Callable[[], None]) -> None:
    """Wait until `expected` such rows are visible; `check` raises if a worker died."""
    deadline = time.monotonic() + timeout
    while visible_leads(engine, prefix) < expected:
        check()
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {visible_leads(engine, prefix)} of {expected} {prefix}* rows "
                               f"visible after {timeout:.0f}s")
        time.sleep(0.1)


def commit_times(engine: sa.Engine, prefix: str) -> dict[str, float]:
    """Per lead id, the wall time its row's last version was committed."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT lead_id, extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 "
            "FROM leads WHERE lead_id LIKE :p"), {"p": prefix + "%"})
        return {lead_id: ts for lead_id, ts in rows}


def last_event_times(services: Services, prefix: str, expected: int) -> dict[str, float]:
    """Per lead id, the producer timestamp (CreateTime, wall clock) of its last derived
    event on `crm.leads`: when the core had handed it to Kafka."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": services.bootstrap, "group.id": "crm-bench-probe",
                         "enable.auto.commit": False, **services.kafka_extra})
    ends = log_ends(services.bootstrap, [("crm.leads", p) for p in range(EVENT_PARTITIONS)],
                    services.kafka_extra)
    try:
        consumer.assign([TopicPartition("crm.leads", p, 0) for p in range(EVENT_PARTITIONS)])
        seen: dict[tuple[str, int], int] = {}
        out: dict[str, float] = {}
        deadline = time.monotonic() + 60
        while any(seen.get(tp, 0) < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                break
            for msg in consumer.consume(num_messages=10_000, timeout=0.5):
                if msg.error():
                    continue
                seen[(msg.topic(), msg.partition())] = msg.offset() + 1
                key = (msg.key() or b"").decode()
                if key.startswith(prefix):
                    ts = msg.timestamp()[1] / 1000
                    out[key] = max(out.get(key, 0.0), ts)
        return out
    finally:
        consumer.close()


def event_ends(services: Services) -> dict[tuple[str, int], int]:
    """Each event partition's end now (the offset after its last record): where
    `events_since` starts counting."""
    parts = [(t, p) for t in EVENT_TOPICS for p in range(EVENT_PARTITIONS)]
    return log_ends(services.bootstrap, parts, services.kafka_extra)


def events_since(services: Services, starts: dict[tuple[str, int], int]) -> int:
    """Events on the event topics after `starts` (`event_ends` before the run), counted by
    reading them (`count_records`): on Apache Kafka every transaction of the exactly-once
    core also writes a commit marker per partition, which the difference of the ends
    counted as events too; on Tansu the two agree."""
    return count_records(services.bootstrap, starts, event_ends(services),
                         services.kafka_extra)
