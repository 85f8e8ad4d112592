"""The in-process rules on the very inputs the live bench offered over Kafka.

`live_efficiency` divides the live path's sustained events/s by this: the same
`CoreProcessor` the faust worker runs, folded in this process over the same log (the
history, then the burst's commands), timed on the burst alone. Two rates: the rules only
(`process` on decoded inputs, as the rules stage times them) and the whole processor
(`process_bytes`: decode, rules, encode), the in-process ceiling of what the worker does
per input without any framework around it. Both are CPU time of this process (on a
quiet machine the same as wall time; on a loaded one, what the code itself costs).
"""

from __future__ import annotations

import contextlib
import gc
import time
from dataclasses import dataclass

from confluent_kafka import TopicPartition

from crm.bootstrap import Services
from events.codec import DecodeError
from events.core_group import core_group_consumer
from events.topics import COMMANDS
from processors.core import CoreProcessor


@dataclass
class SameInputs:
    """In-process rates over the burst's inputs."""

    inputs: int
    events: int
    rules_s: float
    rules_events_per_s: float
    processor_s: float
    processor_events_per_s: float


def read_inputs(services: Services, end: int) -> list[bytes]:
    """The values of `crm.commands` below offset `end`, in log order."""
    consumer = core_group_consumer(services.bootstrap, services.kafka_extra,
                                   group="crm-bench-rules")
    out: list[bytes] = []
    try:
        consumer.assign([TopicPartition(COMMANDS, 0, 0)])
        position = 0
        deadline = time.monotonic() + 120
        while position < end and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                if not msg.error() and msg.offset() < end:
                    out.append(msg.value())
                    position = msg.offset() + 1
        return out
    finally:
        consumer.close()


def _folded(services: Services, history: list[bytes]) -> CoreProcessor:
    processor = services.processor()
    for value in history:
        with contextlib.suppress(DecodeError):
            processor.process(processor.codec.decode(value))
    return processor


def rules_on_same_inputs(services: Services, first: int, count: int) -> SameInputs:
    """Fold `crm.commands` below `first`, then time the `count` inputs from `first`."""
    values = read_inputs(services, first + count)
    history, burst = values[:first], values[first:]
    rules = _folded(services, history)
    messages = [rules.codec.decode(v) for v in burst]
    whole = _folded(services, history)
    gc.collect()
    gc.freeze()  # as the worker does after its warm-up (processors/faust_app.run_worker)
    try:
        t0 = time.process_time()
        events = sum(len(rules.process(m)) for m in messages)
        rules_s = time.process_time() - t0
        t0 = time.process_time()
        for value in burst:
            whole.process_bytes(value)
        processor_s = time.process_time() - t0
    finally:
        gc.unfreeze()
    return SameInputs(len(burst), events, rules_s, events / rules_s, processor_s,
                      events / processor_s)
