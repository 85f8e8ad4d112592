"""Rules worker faults: kill -9 of `crm run --role core` during live traffic, and
redelivered inputs. No gap and no duplicate in effect: the derived events on Kafka are
exactly the in-process fold's (copies only of the same bytes), and the projected tables
have the clean digest."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from faults_support import (
    EVENT_PARTITIONS,
    CrmProcess,
    core_committed,
    crm_env,
    digest_of,
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
from processors.core import CoreProcessor
from projectors.db import make_engine, migrate
from projectors.runner import Projector

# markers per test, by what each needs: the server-free ones run in `make test-fast`


@pytest.mark.faults
@pytest.mark.integration
def test_core_worker_killed_during_live_traffic_leaves_no_gap_and_no_duplicate(
        stack, own_kafka: str, fresh_db_url: str) -> None:
    rng = fault_rng("core kill -9")
    h = history()
    commands = h.commands
    chunks = 20
    size = -(-len(commands) // chunks)
    sent = [0]

    def live_traffic() -> None:  # the inputs keep arriving while workers die and restart
        for start in range(size, len(commands), size):
            produce(own_kafka, commands[start:start + size])
            sent[0] = min(len(commands), start + size)
            time.sleep(0.8)

    with temp_home() as home:
        env = crm_env(home, own_kafka, fresh_db_url)
        log = home / "core.log"
        worker = CrmProcess(["run", "--role", "core"], env, log)
        produce(own_kafka, commands[:size])
        sent[0] = size
        wait_for(lambda: core_committed(own_kafka) > 0, 120, "the worker to start", worker,
                 interval=0.1)
        traffic = threading.Thread(target=live_traffic)
        traffic.start()
        kills = []
        try:
            for _ in range(2):
                # let it process a random part of what has arrived, then kill it
                target = core_committed(own_kafka) + rng.randint(1, size)
                wait_for(lambda t=target: core_committed(own_kafka) >= min(t, sent[0]), 120,
                         "the worker to process inputs", worker, interval=0.1)
                time.sleep(rng.uniform(0, 1.0))
                worker.kill9()
                kills.append((core_committed(own_kafka), sent[0]))
                worker = CrmProcess(["run", "--role", "core"], env, log)
        finally:
            traffic.join()
        print(f"killed at (committed, produced): {kills} of {len(commands)} inputs")
        assert any(produced < len(commands) for _, produced in kills), \
            "a kill should land while inputs still arrive"
        wait_for(lambda: core_committed(own_kafka) >= len(commands), 180,
                 "every input processed", worker, interval=0.2)
        assert worker.stop() == 0, worker.output()

    # no gap: every derived record of the in-process fold is on Kafka, in the same order
    # per partition; no duplicate in effect: the only extra records are exact copies
    expected = h.by_partition(h.events)
    actual = read_partitions(own_kafka, EVENT_PARTITIONS)
    copies = sum(len(v) for v in actual.values()) - sum(len(v) for v in expected.values())
    print(f"{copies} derived records published twice (inputs re-run after a kill)")
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
