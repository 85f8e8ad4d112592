"""Two runtimes, one behaviour: faust over Kafka derives exactly what the in-process fold does.

A recorded input log is folded in-process, and the same log is produced to
`crm.commands` for the faust worker (`crm run --role core`, a real subprocess), on Tansu
(at least once) and on Apache Kafka (exactly once: transactions). Every partition of
every event topic must then hold the same bytes, in the same order, on both.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from faults_support import CrmProcess, crm_env, wait_for
from kafka_support import core_folded, read_topics, recorded_log
from support import temp_home

from localstack import StackInfo
from producers.kafka import MessageProducer
from producers.partitioner import partition_for

pytestmark = pytest.mark.integration
DAYS = 14


def test_faust_worker_and_in_process_fold_derive_byte_identical_events(
    any_broker: str, stack: StackInfo
) -> None:
    simulation, scale = "business", 0.2  # no fallback to the lead-only simulation
    print(f"{simulation} simulation, {DAYS} days at scale {scale:g}")
    inputs, core, derived = recorded_log(simulation, DAYS, scale)
    expected: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    for out in map(core.encode, derived):
        expected[(out.topic, partition_for(out.topic, out.key))].append(out.value)

    with MessageProducer(any_broker) as producer:
        producer.send_all(inputs)
    with temp_home() as home:
        # the default guarantee (auto): at least once on Tansu, exactly once on Kafka
        worker = CrmProcess(["run", "--role", "core"],
                            crm_env(home, any_broker, stack.database_url), home / "core.log")
        try:
            # every input committed, and with it its events: flushed first (at least
            # once) or in the same transaction (exactly once)
            wait_for(lambda: core_folded(any_broker) >= len(inputs), 300,
                     f"the worker's {len(inputs)} inputs", worker, interval=0.5)
        finally:
            code = worker.stop()
        assert code == 0, worker.output()[-3000:]
    actual = read_topics(any_broker)
    assert set(actual) == set(expected)
    for tp in expected:
        assert actual[tp] == expected[tp], f"{tp} differs"
    assert len(derived) > len(inputs) > DAYS * 48
