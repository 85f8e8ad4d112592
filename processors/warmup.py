"""Rebuild the core's state from the input log before a worker resumes.

The state is a fold of `crm.commands`; a worker that restarts reads the inputs up to
its group's committed offset without publishing anything, then carries on live.
"""

from __future__ import annotations

import contextlib

from confluent_kafka import Consumer, TopicPartition

from events.codec import DecodeError
from events.topics import COMMANDS
from processors.core import CoreProcessor


def warm_up(processor: CoreProcessor, bootstrap: str, group: str,
            extra: dict[str, str] | None = None) -> int:
    """Fold the already-processed inputs into `processor`; returns how many."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False, **(extra or {})})
    try:
        committed = consumer.committed([TopicPartition(COMMANDS, 0)], timeout=30)[0].offset
        if committed <= 0:
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
