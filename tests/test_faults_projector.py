"""Projector faults: kill -9 mid-projection, PostgreSQL restarts, redelivery and new
interleavings. Each ends with the 25 tables' digest equal to a clean projection."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from itertools import pairwise
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
    offsets_locked,
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


def portions(records: Sequence[Record], rng: random.Random, parts: int) -> list[list[Record]]:
    """The log cut at random points (each part at least 5 % of it)."""
    n = len(records)
    while True:
        bounds = [0, *sorted(rng.sample(range(1, n), parts - 1)), n]
        if all(b - a >= n // 20 for a, b in pairwise(bounds)):
            return [list(records[a:b]) for a, b in pairwise(bounds)]


def incomplete(db_url: str, ends: dict[tuple[str, int], int]) -> bool:
    """Some partition's committed position is short of its log end."""
    stored = stored_offsets(db_url)
    return any(stored.get(tp, 0) < end for tp, end in ends.items())


@pytest.mark.faults
@pytest.mark.integration
def test_projector_killed_at_random_points_resumes_to_the_clean_digest(
        stack, own_kafka: str, fresh_db_url: str) -> None:
    """Three kills, each asserted to land with the projection incomplete: the log arrives
    in four parts cut at random, and while a kill is due the offsets table is locked, so
    the projector's batch writes its rows and waits, uncommitted, to save its offsets."""
    rng = fault_rng("projector kill -9")
    parts = portions(history().records, rng, 4)
    migrate(fresh_db_url)
    faults: list[str] = []
    with temp_home() as home:
        # 1: after a random delay: starting up, joining the group or mid-batch
        produce(own_kafka, parts[0])
        ends = event_ends(own_kafka)
        with offsets_locked(fresh_db_url) as waiting:
            proc = projector(home, own_kafka, fresh_db_url)
            time.sleep(rng.uniform(0.5, 4.0))
            in_batch = waiting()
            proc.kill9()
            assert incomplete(fresh_db_url, ends), "kill 1 came after the work was done"
        faults.append(f"1: {'mid-batch' if in_batch else 'before its first batch'}, "
                      f"{projected_fraction(fresh_db_url, ends):.0%} committed")
        # 2, 3: the log so far projected, the next part arrives, a batch of it is in flight
        for number, part in ((2, parts[1]), (3, parts[2])):
            proc = projector(home, own_kafka, fresh_db_url)
            wait_for(lambda e=ends: not incomplete(fresh_db_url, e), 120,
                     "the log so far projected", proc)
            with offsets_locked(fresh_db_url) as waiting:
                produce(own_kafka, part)
                ends = event_ends(own_kafka)
                wait_for(waiting, 60, "a batch of the new part in flight", proc)
                time.sleep(rng.uniform(0, 0.3))
                assert incomplete(fresh_db_url, ends)
                proc.kill9()
                assert incomplete(fresh_db_url, ends), f"kill {number} after the work"
                faults.append(f"{number}: mid-batch, "
                              f"{projected_fraction(fresh_db_url, ends):.0%} committed")
        print("projector killed at", "; ".join(faults))
        # last: the rest arrives; runs to the end and stops gracefully
        produce(own_kafka, parts[3])
        ends = event_ends(own_kafka)
        proc = projector(home, own_kafka, fresh_db_url)
        wait_for(lambda: all_projected(fresh_db_url, ends), 120, "the whole log projected",
                 proc)
        wait_for(lambda: "projector: started" in proc.output(), 30, "the start", proc)
        assert proc.stop() == 0, proc.output()
    assert sum(ends.values()) == len(history().events)
    assert digest_of(fresh_db_url) == reference_digest(stack.database_url)


def waits_logged(proc: CrmProcess) -> list[int]:
    """The batch sizes of the projector's 'waiting for PostgreSQL' lines so far."""
    return [int(n) for n in re.findall(r"waiting for PostgreSQL .*?the batch of (\d+) events",
                                       proc.output())]


@pytest.mark.faults
@pytest.mark.integration
def test_postgres_restarts_during_projection_are_waited_out(own_kafka: str) -> None:
    """Two outages, each asserted to hit a batch in flight: once PostgreSQL is down when a
    batch arrives; once it is stopped while a batch waits, rows written, to commit."""
    rng = fault_rng("PostgreSQL restarts")
    events = history().events
    thirds = [events[: len(events) // 3], events[len(events) // 3: 2 * len(events) // 3],
              events[2 * len(events) // 3:]]
    with temp_home() as home, own_postgres(home, own_kafka) as (pg, db_url):
        produce(own_kafka, thirds[0])
        proc = projector(home, own_kafka, db_url)
        ends = event_ends(own_kafka)
        wait_for(lambda: all_projected(db_url, ends), 120, "the first third", proc)

        # 1: PostgreSQL down while a batch arrives: the projector holds it and retries
        stop_postgres(pg)
        produce(own_kafka, thirds[1])
        wait_for(lambda: waits_logged(proc), 60,
                 "the projector to say it waits for PostgreSQL", proc)
        assert sum(event_ends(own_kafka).values()) > sum(ends.values())
        assert waits_logged(proc)[0] > 0, "the outage met a batch of the second third"
        time.sleep(rng.uniform(0, 3))
        assert start_postgres(pg) == db_url  # same socket and port
        ends = event_ends(own_kafka)
        wait_for(lambda: all_projected(db_url, ends), 120, "the second third", proc)

        # 2: a restart while a batch of the last third is written but not committed
        before = len(waits_logged(proc))
        with offsets_locked(db_url) as waiting:
            produce(own_kafka, thirds[2])
            ends = event_ends(own_kafka)
            wait_for(waiting, 60, "a batch of the last third in flight", proc)
            time.sleep(rng.uniform(0, 0.5))
            assert incomplete(db_url, ends), "the restart would come after the work"
            stop_postgres(pg)  # ends the lock's session too
        time.sleep(rng.uniform(0.5, 1.5))
        start_postgres(pg)
        wait_for(lambda: all_projected(db_url, ends), 120, "the last third", proc)
        assert len(waits_logged(proc)) > before, "the restart hit the batch in flight"
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
    from domain.kernel.messages import utc
    from processors.core import CoreProcessor
    from projectors.batches import in_runs
    from simulators.leads import lead_captures

    core = CoreProcessor()
    a = core.process(next(lead_captures(1, utc(2026, 1, 1), 1)))  # versions 1, 2, ...
    b = core.process(next(lead_captures(2, utc(2026, 1, 2), 1)))
    assert len(a) >= 2
    assert in_runs(a + b) == [a + b]  # no duplicate: one part, one fold
    assert in_runs([*a, *b, a[0]]) == [a + b, [a[0]]]  # a stale copy after newer events
    assert in_runs([a[0], *b, a[0], *a[1:]]) == [[a[0], *b], list(a)]  # ... and before
