"""Messages that belong to no business area: the clock and rejections."""

from __future__ import annotations

from domain.kernel.messages import Command, Event, Text


class TickClock(Command):
    """Advance event time; time-based rules (expiry, SLA, renewals) run on it.

    Imperative like every input: the simulator or scheduler asks the core to move the
    clock to `occurred_at` (the seed's 30-minute cycle).
    """

    AGGREGATE = "clock"


class CommandRejected(Event):
    """An input broke a rule; nothing changed. Keyed by the aggregate it addressed."""

    AGGREGATE = "rejection"

    command_id: str = Text(64, "event_id of the refused input")
    command_type: str = Text(100, "event_type of the refused input")
    reason: str = Text(500, "Which rule refused it, in words")
