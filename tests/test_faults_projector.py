"""Projector faults: kill -9 mid-projection, PostgreSQL restarts, redelivery and new
interleavings. Each ends with the 25 tables' digest equal to a clean projection."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from faults_support import (
    EVENT_PARTITIONS,
    CrmProcess,
    Record,
    crm_env,
    digest_of,
    event_ends,
    fault_rng,
    history,
    own_kafka_fixture,  # noqa: F401  (the own_kafka fixture)
    own_postgres,
    produce,
    projected_fraction,
    reference_digest,
    start_postgres,
    stop_postgres,
    stored_offsets,
    wait_for,
)
from support import temp_home

from projectors.db import make_engine, migrate
from projectors.runner import Projector

# markers per test, by what each needs: the server-free ones run in `make test-fast`


def projector(home: Path, bootstrap: str, db_url: str) -> CrmProcess:
    return CrmProcess(["run", "--role", "projector"], crm_env(home, bootstrap, db_url),
                      home / "projector.log")


def all_projected(db_url: str, ends: dict[tuple[str, int], int]) -> bool:
    stored = stored_offsets(db_url)
    return all(stored.get(tp, 0) >= end for tp, end in ends.items() if end)


@pytest.mark.faults
@pytest.mark.integration
def test_projector_killed_at_random_points_resumes_to_the_clean_digest(
        stack, own_kafka: str, fresh_db_url: str) -> None:
    rng = fault_rng("projector kill -9")
    produce(own_kafka, history().records)
    migrate(fresh_db_url)
    ends = event_ends(own_kafka)
    with temp_home() as home:
        # 1: killed after a random delay (starting up, joining the group, or mid-batch)
        proc = projector(home, own_kafka, fresh_db_url)
        time.sleep(rng.uniform(0.5, 4.0))
        proc.kill9()
        # 2, 3: killed once a random share of the log is committed (the next batch in flight)
        for share in sorted(rng.uniform(0.05, 0.9) for _ in range(2)):
            proc = projector(home, own_kafka, fresh_db_url)
            wait_for(lambda s=share: projected_fraction(fresh_db_url, ends) >= s, 120,
                     f"{share:.0%} projected", proc, interval=0.01)
            time.sleep(rng.uniform(0, 0.3))
            proc.kill9()
        # last: runs to the end and stops gracefully
        proc = projector(home, own_kafka, fresh_db_url)
        wait_for(lambda: all_projected(fresh_db_url, ends), 120, "the whole log projected",
                 proc)
        wait_for(lambda: "projector: started" in proc.output(), 30, "the start", proc)
        assert proc.stop() == 0, proc.output()
    assert digest_of(fresh_db_url) == reference_digest(stack.database_url)


@pytest.mark.faults
@pytest.mark.integration
def test_postgres_restarts_during_projection_are_waited_out(own_kafka: str) -> None:
    events = history().events
    thirds = [events[: len(events) // 3], events[len(events) // 3: 2 * len(events) // 3],
              events[2 * len(events) // 3:]]
    with temp_home() as home, own_postgres(home, own_kafka) as (pg, db_url):
        produce(own_kafka, thirds[0])
        proc = projector(home, own_kafka, db_url)
        ends = event_ends(own_kafka)
        wait_for(lambda: all_projected(db_url, ends), 120, "the first third", proc)

        # PostgreSQL down while a batch arrives: the projector holds it and retries
        stop_postgres(pg)
        produce(own_kafka, thirds[1])
        wait_for(lambda: "waiting for PostgreSQL" in proc.output(), 60,
                 "the projector to say it waits for PostgreSQL", proc)
        assert start_postgres(pg) == db_url  # same socket and port
        ends = event_ends(own_kafka)
        wait_for(lambda: all_projected(db_url, ends), 120, "the second third", proc)

        # a restart while the last third is being projected
        produce(own_kafka, thirds[2])
        time.sleep(random.uniform(0, 0.5))
        stop_postgres(pg)
        time.sleep(1)
        start_postgres(pg)
        ends = event_ends(own_kafka)
        wait_for(lambda: all_projected(db_url, ends), 120, "the last third", proc)
        assert proc.alive(), "the projector must survive PostgreSQL restarts"
        assert proc.stop() == 0, proc.output()
        assert digest_of(db_url) == reference_digest(db_url)


def redelivered(records: list[Record], rng: random.Random, share: float = 0.1) -> list[Record]:
    """The same records in a new cross-partition interleaving, `share` of them delivered
    twice (each copy later in its partition than the original, as a redelivery is)."""
    lanes: dict[tuple[str, int], list[Record]] = {}
    for r in records:
        lanes.setdefault((r.topic, r.partition), []).append(r)
    for lane in lanes.values():
        for index in sorted(rng.sample(range(len(lane)), int(len(lane) * share)), reverse=True):
            lane.insert(rng.randint(index + 1, len(lane)), lane[index])
    order = [tp for tp, lane in lanes.items() for _ in lane]
    rng.shuffle(order)
    cursors = dict.fromkeys(lanes, 0)
    out = []
    for tp in order:
        out.append(lanes[tp][cursors[tp]])
        cursors[tp] += 1
    return out


@pytest.mark.faults
@pytest.mark.integration
def test_redelivered_and_reinterleaved_events_give_the_clean_digest(
        stack, own_kafka: str, fresh_db_url: str) -> None:
    rng = fault_rng("redelivery")
    events = history().events
    stream = redelivered(events, rng)
    assert len(stream) > len(events) * 1.09
    produce(own_kafka, stream)
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    # small batches of random size: duplicates land in the same batch and in later ones
    live = Projector(engine, own_kafka, group="crm-projector")
    live.batch_size = rng.randint(50, 700)
    live.catch_up(timeout=180)
    assert digest_of(fresh_db_url) == reference_digest(stack.database_url)

    # consumer-side redelivery: positions stored 10 % back, as after a lost commit
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE crm_meta.projector_offsets "
                             "SET next_offset = (next_offset * 0.9)::bigint"))
    live.close()
    again = Projector(engine, own_kafka, group="crm-projector", batch_size=5000)
    again.catch_up(timeout=180)
    again.close()
    assert again.stats.events > 0, "the rewound positions were read again"
    assert digest_of(fresh_db_url) == reference_digest(stack.database_url)
    engine.dispose()
    assert sum(event_ends(own_kafka).values()) == len(stream)
    assert set(stored_offsets(fresh_db_url)) <= set(EVENT_PARTITIONS)


def test_a_batch_is_split_only_where_a_redelivered_event_breaks_a_run() -> None:
    from domain.messages import utc
    from processors.core import CoreProcessor
    from projectors.runner import in_runs
    from simulators.leads import lead_captures

    core = CoreProcessor()
    a = core.process(next(lead_captures(1, utc(2026, 1, 1), 1)))  # versions 1, 2, ...
    b = core.process(next(lead_captures(2, utc(2026, 1, 2), 1)))
    assert len(a) >= 2
    assert in_runs(a + b) == [a + b]  # no duplicate: one part, one fold
    assert in_runs([*a, *b, a[0]]) == [a + b, [a[0]]]  # a stale copy after newer events
    assert in_runs([a[0], *b, a[0], *a[1:]]) == [[a[0], *b], list(a)]  # ... and before
