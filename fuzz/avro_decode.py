"""Fuzz `AvroCodec.decode`: any bytes from any topic (commands, events, ERP replies).

Contract: for ANY input the codec returns a valid message or raises `DecodeError` with
a reason (what every consumer turns into a dead letter). A message it returns can be
encoded again, and decoding that gives the same bytes back (so the core and the
projector can pass on whatever they accepted). Run: `python -m fuzz.avro_decode -max_total_time=60`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from fuzz._support import fuzz

if TYPE_CHECKING:
    from events.codec import AvroCodec

NAME = "avro_decode"


@cache
def targets() -> AvroCodec:
    """The codec every consumer uses (built-in schema ids: current and released schemas)."""
    from events.codec import AvroCodec

    return AvroCodec()


def check(data: bytes) -> None:
    """Decode `data`: a message that re-encodes stably, or a DecodeError with a reason."""
    from events.codec import DecodeError

    codec = targets()
    try:
        message = codec.decode(data)
    except DecodeError as exc:
        assert exc.reason, "a DecodeError without a reason"
        return
    again = codec.encode(message)
    assert codec.encode(codec.decode(again)) == again, "re-encoding is not stable"


if __name__ == "__main__":
    fuzz(NAME, check, targets, values=True)
