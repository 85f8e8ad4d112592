"""Rules worker faults: kill -9 of `crm run --role core` during live traffic, and
redelivered inputs. No gap and no duplicate in effect: the derived events on Kafka are
exactly the in-process fold's (copies only of the same bytes), and the projected tables
have the clean digest."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from faults_support import (
    EVENT_PARTITIONS,
    CrmProcess,
    History,
    core_committed,
    crm_env,
    digest_of,
    event_ends,
    fault_rng,
    history,
    own_kafka_fixture,  # noqa: F401  (the own_kafka fixture)
    produce,
    read_partitions,
    reference_digest,
    wait_for,
)
from support import temp_home

from events.codec import AvroCodec
from events.topics import COMMANDS
from processors.core import CoreProcessor
from projectors.db import make_engine, migrate
from projectors.runner import Projector

# markers per test, by what each needs: the server-free ones run in `make test-fast`


def derived_before(h: History) -> list[int]:
    """[n] = how many events the first n inputs derive (the log is in produce order)."""
    counts: list[int] = []
    events = 0
    for r in h.records:
        if r.topic == COMMANDS:
            counts.append(events)  # derived by the inputs before this one
        else:
            events += 1
    counts.append(events)
    return counts


def settled(read: Callable[[], tuple[int, int]]) -> tuple[int, int]:
    """`read()` once two readings half a second apart agree (a request the killed worker
    sent just before dying may still be landing on the broker)."""
    last = read()
    while True:
        time.sleep(0.5)
        now = read()
        if now == last:
            return now
        last = now


@pytest.mark.faults
@pytest.mark.integration
def test_core_worker_killed_during_live_traffic_leaves_no_gap_and_no_duplicate(
        stack, own_kafka: str, fresh_db_url: str) -> None:
    """Each kill lands while the worker works through a chunk of new inputs: some of its
    outputs are on Kafka, their inputs' offsets not committed yet. The restarted worker
    derives those again: exactly that many byte-identical copies appear, nothing else."""
    rng = fault_rng("core kill -9")
    h = history()
    commands = h.commands
    before_input = derived_before(h)
    assert len(before_input) == len(commands) + 1 and before_input[-1] == len(h.events)
    produced = 0

    def send(count: int) -> int:  # live traffic: the next inputs of the history arrive
        nonlocal produced
        count = min(count, len(commands) - produced)
        produce(own_kafka, commands[produced:produced + count])
        produced += count
        return count

    def on_kafka() -> int:
        return sum(event_ends(own_kafka).values())

    with temp_home() as home:
        env = crm_env(home, own_kafka, fresh_db_url)
        log = home / "core.log"
        worker = CrmProcess(["run", "--role", "core"], env, log)
        send(rng.randint(200, 400))
        faults: list[tuple[int, int, int]] = []  # (committed, produced, outputs in flight)
        while sum(1 for c, p, f in faults if c < p and f > 0) < 2:
            assert len(faults) < 5, f"no two kills of {faults} landed mid-work"
            # idle: everything so far processed, committed, re-derived after a restart
            wait_for(lambda: core_committed(own_kafka) == produced, 180,
                     "the worker to process every input so far", worker, interval=0.1)
            start, published = produced, on_kafka()
            chunk = send(rng.randint(300, 700))
            outputs = before_input[produced] - before_input[start]
            assert chunk > 0 and outputs > 0, "the history ran out before two kills landed"
            # kill once a random part of the chunk's outputs is on Kafka
            seen = published + rng.randint(1, max(1, outputs // 2))
            wait_for(lambda s=seen: on_kafka() >= s, 120, "the worker to publish", worker,
                     interval=0.01)
            worker.kill9()
            committed, total = settled(lambda: (core_committed(own_kafka), on_kafka()))
            in_flight = total - published - (before_input[committed] - before_input[start])
            faults.append((committed, produced, in_flight))
            send(rng.randint(100, 200))  # inputs keep arriving while the worker is down
            worker = CrmProcess(["run", "--role", "core"], env, log)
        print(f"kills at (committed, produced, outputs of uncommitted inputs on Kafka): "
              f"{faults} of {len(commands)} inputs")
        send(len(commands))
        wait_for(lambda: core_committed(own_kafka) >= len(commands), 180,
                 "every input processed", worker, interval=0.2)
        assert worker.stop() == 0, worker.output()

    # no gap: every derived record of the in-process fold is on Kafka, in the same order
    # per partition; no duplicate in effect: the only extra records are exact copies
    expected = h.by_partition(h.events)
    actual = read_partitions(own_kafka, EVENT_PARTITIONS)
    copies = sum(len(v) for v in actual.values()) - sum(len(v) for v in expected.values())
    print(f"{copies} derived records published twice (inputs re-run after a kill)")
    # the kills landed mid-work, and each restart re-derived what was in flight: exactly
    # the outputs of uncommitted inputs that were on Kafka at the kills come twice
    assert copies == sum(f for _, _, f in faults) > 0
    for tp in set(expected) | set(actual):
        got, want = actual.get(tp, []), expected.get(tp, [])
        assert Counter(got).keys() == Counter(want).keys(), f"{tp}: derived records differ"
        deduplicated = list(dict.fromkeys(got))
        assert deduplicated == want, f"{tp}: derived records out of order"

    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    projector = Projector(engine, own_kafka)
    projector.catch_up(timeout=180)
    projector.close()
    engine.dispose()
    assert digest_of(fresh_db_url) == reference_digest(stack.database_url)


def test_redelivered_inputs_derive_nothing_new() -> None:
    """10 % of the inputs delivered twice (later in the log, as a producer retry or a
    re-driven dead letter is): the fold derives byte-identical events."""
    rng = fault_rng("input redelivery")
    h = history()
    inputs = [r.value for r in h.commands]
    stream = list(inputs)
    for index in sorted(rng.sample(range(len(inputs)), len(inputs) // 10), reverse=True):
        stream.insert(rng.randint(index + 1, len(stream)), inputs[index])
    core = CoreProcessor(codec=AvroCodec())
    derived = []
    for value in stream:
        out = core.process_bytes(value)
        assert isinstance(out, list)
        derived.extend(o.value for o in out)
    assert derived == [r.value for r in h.events]
