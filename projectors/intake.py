"""A fetched batch of messages as events, the positions past them, and a dead letter for
each message that does not decode (its bytes, key, origin and the reason)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from domain.kernel.messages import Event
from events.codec import AvroCodec, DecodeError
from events.dlq import DeadLetter

log = logging.getLogger(__name__)


@dataclass
class Batch:
    """Decoded events with their messages (`sources`, for a dead letter of a refused
    event), dead letters of what did not decode, and the next offset per partition."""

    events: list[Event] = field(default_factory=list)
    sources: list[Any] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)


def decode_batch(codec: AvroCodec, msgs: Iterable[Any], trusted: bool = False) -> Batch:
    """Decode `msgs` (confluent-kafka messages); an error message is logged and skipped.

    `trusted`: the messages are our own core's (a backfill's log): `decode_trusted`,
    without pydantic's second pass; bytes that are no message we know still become dead
    letters."""
    batch = Batch()
    decode = codec.decode_trusted if trusted else codec.decode
    for msg in msgs:
        if msg.error():
            log.warning("consumer error: %s", msg.error())
            continue
        batch.offsets[(msg.topic(), msg.partition())] = msg.offset() + 1
        try:
            event = decode(msg.value())
        except DecodeError as exc:
            batch.letters.append(dead_letter_of(msg, str(exc)))
            continue
        batch.events.append(event)
        batch.sources.append(msg)
    return batch


def dead_letter_of(msg: Any, reason: str) -> DeadLetter:
    """A consumed message as a dead letter: its bytes, key, origin and the reason."""
    return DeadLetter(msg.value() or b"", reason, msg.topic(), msg.partition(), msg.offset(),
                      msg.key())
