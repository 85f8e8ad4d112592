"""Rebuild the core's state from the input log before a worker resumes.

The state is a fold of `crm.commands`; a worker that restarts reads the inputs up to
its group's committed offset without publishing anything, then carries on live.
"""

from __future__ import annotations

import contextlib

from confluent_kafka import TopicPartition

from events.codec import DecodeError
from events.core_group import core_group_consumer, folded_inputs
from events.topics import COMMANDS, CORE_GROUP
from processors.core import CoreProcessor


def warm_up(processor: CoreProcessor, bootstrap: str, group: str = CORE_GROUP,
            extra: dict[str, str] | None = None) -> int:
    """Fold the already-processed inputs into `processor`; returns how many."""
    consumer = core_group_consumer(bootstrap, extra, group)
    try:
        committed = folded_inputs(consumer)
        if committed == 0:
            return 0
        consumer.assign([TopicPartition(COMMANDS, 0, 0)])
        folded = 0
        while folded < committed:
            for msg in consumer.consume(num_messages=5000, timeout=1.0):
                if msg.error() or msg.offset() >= committed:
                    continue
                with contextlib.suppress(DecodeError):  # dead-lettered the first time
                    processor.process(processor.codec.decode(msg.value()))
                folded = msg.offset() + 1
        return folded
    finally:
        consumer.close()
