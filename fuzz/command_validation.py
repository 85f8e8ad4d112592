"""Fuzz the core's input edge: `CoreProcessor.process_bytes` on bytes from `crm.commands`.

What a foreign producer's bytes go through before the rules: decode, the message's own
validation (pydantic), then the engine's dispatch to a rule or a `CommandRejected`.
The core is warmed with a short simulated history first, so that mutated commands name
leads, accounts, deals and cases that exist and reach the rules' deeper branches (the
state then keeps what the fuzzed inputs did, as the live core would).

Contract: for ANY input the core returns derived events (each decodes again, on a known
topic) or a dead letter carrying the original bytes and a reason; never raises.
Run: `python -m fuzz.command_validation -max_total_time=60`.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from fuzz._support import fuzz

if TYPE_CHECKING:
    from processors.core import CoreProcessor

NAME = "command_validation"
WARM_DAYS = 2
WARM_SCALE = 0.2


@cache
def targets() -> CoreProcessor:
    """A core that has folded WARM_DAYS of the business simulation (seed 7)."""
    from datetime import timedelta

    from domain.kernel.messages import utc
    from processors.core import CoreProcessor
    from simulators.business import CYCLE, BusinessSimulation

    start = utc(2025, 9, 1)
    core = CoreProcessor()
    sim = BusinessSimulation(7, start, WARM_SCALE)
    for n in range(1, int(timedelta(days=WARM_DAYS) / CYCLE) + 1):
        sim.cycle(start + CYCLE * n, core.process)
    return core


def check(data: bytes) -> None:
    """One input through the core: encoded events or a dead letter, nothing else."""
    from events.dlq import DeadLetter
    from events.topics import COMMANDS, TOPICS

    core = targets()
    result = core.process_bytes(data, 0, 0)
    if isinstance(result, DeadLetter):
        assert result.original == data and result.source_topic == COMMANDS
        assert result.reason, "a dead letter without a reason"
        return
    topics = {spec.name for spec in TOPICS}
    for out in result:
        assert out.topic in topics, f"derived event for unknown topic {out.topic}"
        assert core.codec.decode(out.value).aggregate_id == out.key


if __name__ == "__main__":
    fuzz(NAME, check, targets, values=True)
