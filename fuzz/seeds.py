"""Seed corpora from real messages: `python -m fuzz.seeds [FOLDER]` (default .fuzz/corpus).

Folds the fuzzed core's short warm-up history again and writes one encoded message of
every type seen: the inputs (commands, clock ticks, ERP replies) for every harness, the
derived events for the decode and dead-letter harnesses. Deterministic (seed 7).
"""

from __future__ import annotations

import sys
from pathlib import Path

from fuzz._support import WORK

INPUT_HARNESSES = ("avro_decode", "command_validation", "dead_letter")
EVENT_HARNESSES = ("avro_decode", "dead_letter")


def write_seeds(folder: Path) -> int:
    """Write the seeds under `folder/<harness>/<Type>`; returns how many files."""
    from datetime import timedelta

    from domain.kernel.messages import Event, Message, utc
    from fuzz.command_validation import WARM_DAYS, WARM_SCALE
    from processors.core import CoreProcessor
    from simulators.business import CYCLE, BusinessSimulation

    core = CoreProcessor()
    first: dict[str, tuple[bool, bytes]] = {}  # type -> (is an input, bytes)

    def submit(message: Message) -> list[Event]:
        first.setdefault(message.event_type, (True, core.codec.encode(message)))
        events = core.process(message)
        for event in events:
            first.setdefault(event.event_type, (False, core.codec.encode(event)))
        return events

    start = utc(2025, 9, 1)
    sim = BusinessSimulation(7, start, WARM_SCALE)
    for n in range(1, int(timedelta(days=WARM_DAYS) / CYCLE) + 1):
        sim.cycle(start + CYCLE * n, submit)
    written = 0
    for name, (is_input, value) in sorted(first.items()):
        for harness in INPUT_HARNESSES if is_input else EVENT_HARNESSES:
            (folder / harness).mkdir(parents=True, exist_ok=True)
            (folder / harness / name).write_bytes(value)
            written += 1
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else WORK / "corpus"
    print(f"{write_seeds(target)} seeds written under {target}")
