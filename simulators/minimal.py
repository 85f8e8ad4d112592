"""A lead-only simulation with the BusinessSimulation interface (for quick smoke runs)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from domain.kernel.messages import Event, Message
from domain.kernel.system import TickClock
from simulators.kernel import SYSTEM
from simulators.leads import lead_captures

Submit = Callable[[Message], list[Event]]


class LeadOnlySimulation:
    """Two lead captures and a clock tick per 30-minute cycle."""

    def __init__(self, seed: int, start: datetime, scale: float = 1.0,
                 erp_in_process: bool = True) -> None:
        self.seed = seed
        self.cycles = 0
        self.start = start

    def cycle(self, at: datetime, submit: Submit) -> int:
        """Submit this cycle's captures, then the tick."""
        begin = at - timedelta(minutes=30)
        captures = list(lead_captures(self.seed * 100_000 + self.cycles, begin, 2,
                                      spacing=timedelta(minutes=10)))
        self.cycles += 1
        for command in captures:
            submit(command)
        submit(TickClock(event_id=f"tick-{self.seed}-{at.isoformat()}", aggregate_id="clock",
                         occurred_at=at, producer="simulator", actor=SYSTEM))
        return len(captures) + 1
