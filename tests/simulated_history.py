"""A short simulated history folded through the in-process core, shared by the
simulation tests (no servers: the business simulation and the rules, in one process)."""

from __future__ import annotations

import copy
import functools
from datetime import datetime

from domain.kernel.messages import Event, Message, utc
from processors.core import CoreProcessor
from simulators.business import CYCLE, BusinessSimulation

START = utc(2025, 9, 1)  # a Monday; Gandhi Jayanti (2 Oct) falls in the window


class History:
    """A short simulated history folded through the core; the derived events kept."""

    def __init__(self, days: int, scale: float, seed: int = 7, start: datetime = START) -> None:
        self.sim = BusinessSimulation(seed, start, scale)
        self.core = CoreProcessor()
        self.events: list[Event] = []
        self.day_ends: list[int] = []  # len(events) at the end of each day
        for n in range(1, days * 48 + 1):
            self.sim.cycle(start + CYCLE * n, self.submit)
            if n % 48 == 0:
                self.day_ends.append(len(self.events))

    def submit(self, message: Message) -> list[Event]:
        out = self.core.process(message)
        self.events.extend(out)
        return out

    def first(self, days: int) -> History:
        """The history of the first `days` days: the events `History(days, ...)` with the
        same seed, start and scale folds (a cycle never looks ahead). Its `sim` and `core`
        are this whole history's: read its events only."""
        prefix = copy.copy(self)
        prefix.events = self.events[:self.day_ends[days - 1]]
        prefix.day_ends = self.day_ends[:days]
        return prefix

    def of(self, *kinds: str) -> list[Event]:
        return [e for e in self.events if e.event_type in kinds]

    def rows(self, table: str) -> list[dict[str, object]]:
        """The read-table rows the projections make of this history (rows a later event
        deleted, e.g. a quote revision's dropped product lines, are left out by `merge`)."""
        from projectors.projection import merge, rows_for

        return [u.values for u in merge(rows_for(self.events)).get(table, [])]


@functools.cache
def shared(days: int, scale: float, seed: int = 7, start: datetime = START) -> History:
    """One History per arguments for the whole session: the modules that ask for the same
    one (45 days at 0.3: the behaviour and the quote tests; its first 21 and 30 days: the
    hours and the tiers tests) fold it once. Read it only."""
    return History(days, scale, seed, start)
