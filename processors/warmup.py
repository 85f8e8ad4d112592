"""Rebuild the core's state from the input log before a worker resumes.

The state is a fold of `crm.commands`; a worker that restarts reads the inputs up to
its group's committed offset without publishing anything, then carries on live.

Under exactly-once (processors/exactly_once.py) it reads `read_committed`: `crm.commands`
then holds the ERP bridge's transactions, an aborted bridged reply was never processed and
must not be folded, and commit markers take offsets. So the fold ends when the consumer's
position passes the committed offset, not at the last record it saw (a record may never
come for the offsets a marker holds).
"""

from __future__ import annotations

import contextlib
from typing import Literal

from confluent_kafka import TopicPartition

from events.codec import DecodeError
from events.core_group import core_group_consumer, folded_inputs
from events.topics import COMMANDS, CORE_GROUP
from processors.core import CoreProcessor

Isolation = Literal["read_uncommitted", "read_committed"]


def warm_up(processor: CoreProcessor, bootstrap: str, group: str = CORE_GROUP,
            extra: dict[str, str] | None = None,
            isolation: Isolation = "read_uncommitted") -> int:
    """Fold the inputs below the group's committed offset into `processor`; returns that
    offset (the inputs folded, plus the markers passed under `read_committed`)."""
    consumer = core_group_consumer(bootstrap, {**(extra or {}), "isolation.level": isolation},
                                   group)
    try:
        committed = folded_inputs(consumer)
        if committed == 0:
            return 0
        consumer.assign([TopicPartition(COMMANDS, 0, 0)])
        position = 0
        while position < committed:
            for msg in consumer.consume(num_messages=5000, timeout=1.0):
                if msg.error() or msg.offset() >= committed:
                    continue
                with contextlib.suppress(DecodeError):  # dead-lettered the first time
                    processor.process(processor.codec.decode(msg.value()))
            position = max(position, consumer.position([TopicPartition(COMMANDS, 0)])[0].offset)
        return committed
    finally:
        consumer.close()
