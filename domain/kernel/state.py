"""The in-memory state the rules decide against: entities, versions, counters, timers.

Entities are immutable (frozen dataclasses); evolving one replaces it in its dict, which
is what lets a rejected command be rolled back cheaply."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(order=True, frozen=True)
class Timer:
    """A time-based rule to run on the first clock tick at or after `due_at`."""

    due_at: datetime
    seq: int
    kind: str = field(compare=False)
    aggregate_id: str = field(compare=False)


@dataclass
class CrmState:
    """Everything the core knows, rebuilt by folding the input log."""

    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    versions: dict[tuple[str, str], int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    views: dict[str, Any] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)
    timer_seq: int = 0
    seen_inputs: set[str] = field(default_factory=set)
    clock: datetime | None = None

    def store(self, aggregate_type: str) -> dict[str, Any]:
        """The dict of entities of one aggregate type."""
        return self.entities.setdefault(aggregate_type, {})

    def get(self, aggregate_type: str, aggregate_id: str) -> Any | None:
        """One entity, or None."""
        return self.entities.get(aggregate_type, {}).get(aggregate_id)

    def view(self, name: str, factory: type = dict) -> Any:
        """A cross-aggregate index (e.g. accounts by company name)."""
        if name not in self.views:
            self.views[name] = factory()
        return self.views[name]

    def push_timer(self, due_at: datetime, kind: str, aggregate_id: str) -> None:
        """Schedule a timer; ties run in the order they were scheduled."""
        self.timer_seq += 1
        heapq.heappush(self.timers, Timer(due_at, self.timer_seq, kind, aggregate_id))

    def pop_due(self, now: datetime) -> list[Timer]:
        """Remove and return the timers due at `now`, earliest first."""
        due: list[Timer] = []
        while self.timers and self.timers[0].due_at <= now:
            due.append(heapq.heappop(self.timers))
        return due
