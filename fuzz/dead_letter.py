"""Fuzz the dead-letter path: a broken record becomes a letter, is stored as Kafka
headers, read back, and judged by `crm dlq redrive`.

The input drives both halves: the whole of it is a record's value refused by the core
(`CoreProcessor.process_bytes`) or the ERP bridge; split at its first NUL bytes it is
also a dead-letter record read back from `crm.dead-letter` (value, key and header
values as any producer might have written them).

Contract: a refused record becomes a letter with its exact bytes and a reason; the
letter's headers read back to the same letter (reason cut at 2,000 bytes); a letter read
back from ANY headers is a `DeadLetter` (listing never stops on a hostile record), and
redrive's judgement of it is a reason or None, never an exception.
Run: `python -m fuzz.dead_letter -max_total_time=60`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from fuzz._support import fuzz

if TYPE_CHECKING:
    from processors.core import CoreProcessor

NAME = "dead_letter"
HEADER_NAMES = ("dlq.reason", "dlq.source.topic", "dlq.source.partition",
                "dlq.source.offset")


@cache
def targets() -> CoreProcessor:
    """A fresh core (its codec is the one redrive uses too)."""
    import operations.dead_letters  # noqa: F401  (imported here to be instrumented)
    from processors.core import CoreProcessor

    return CoreProcessor()


def check(data: bytes) -> None:
    """Refuse `data` as a record, round-trip the letter, and read `data` back as one."""
    from events.dlq import DeadLetter
    from operations.dead_letters import _partition, _still_broken
    from processors.faust_app import bridge_erp_reply

    core = targets()
    for result in (core.process_bytes(data, 0, 7), bridge_erp_reply(core, data, 0, 7)):
        if not isinstance(result, DeadLetter):
            continue
        assert result.original == data and result.reason and result.source_offset == 7
        back = DeadLetter.from_headers(result.original, result.key,
                                       list(result.headers().items()))
        assert back.original == data and back.source_topic == result.source_topic
        assert (back.source_partition, back.source_offset) == (0, 7)
        assert result.reason.startswith(back.reason.removesuffix("\N{REPLACEMENT CHARACTER}"))
        assert _partition(back) == 0  # both source topics have one partition
    value, *parts = data.split(b"\0", 5)
    key, values = (parts[0] or None, parts[1:]) if parts else (None, [])
    letter = DeadLetter.from_headers(value, key, list(zip(HEADER_NAMES, values, strict=False)))
    problem = _still_broken(core.codec, letter)
    assert problem is None or isinstance(problem, str)
    assert isinstance(_partition(letter), int)  # `redrive --force` asks it of any letter


if __name__ == "__main__":
    fuzz(NAME, check, targets)
