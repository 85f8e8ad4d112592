"""BusinessSimulation: a manufacturing B2B business in India feeding the CRM core.

Every 30-minute cycle it submits, in event-time order, the facts from outside the CRM
that fall in the window (captures, people's actions and decisions, customers' answers,
ERP replies) and then the clock tick. It learns everything the core derives (ids, owners,
quotes, approvals, SLA breaches, renewals, orders) from the events `submit` returns, or
that the live daemon hands to `observe`; it never reads the core's state.

Desks (departments) schedule their actions as plain tuples in one heap; see
`simulators.kernel`. The first cycle sets the organisation and the installed base up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from domain.kernel.messages import Event, Message
from domain.kernel.system import TickClock
from simulators.accounts import AccountDesk
from simulators.book import Book
from simulators.contracts import ContractDesk
from simulators.erp import ERP_REQUESTS, erp_reply
from simulators.kernel import SYSTEM, Desk, Kernel, Stats
from simulators.marketing import MarketingDesk
from simulators.opening import OpeningDesk
from simulators.org import OrgDesk
from simulators.prospects import LeadDesk
from simulators.sales import SalesDesk
from simulators.service import ServiceDesk
from simulators.worktime import day_start, local_day
from simulators.world import World

Submit = Callable[[Message], list[Event]]
CYCLE = timedelta(minutes=30)
DESKS: tuple[type[Desk], ...] = (OrgDesk, AccountDesk, LeadDesk, SalesDesk, ServiceDesk,
                                 ContractDesk, MarketingDesk, OpeningDesk)
ROUTES: dict[str, tuple[tuple[str, str], ...]] = {}
for _desk in DESKS:
    for _event, _method in _desk.HANDLES.items():
        ROUTES[_event] = (*ROUTES.get(_event, ()), (_desk.NAME, _method))


class BusinessSimulation:
    """The simulated business; see the module docstring. Picklable between cycles."""

    def __init__(self, seed: int, start: datetime, scale: float = 1.0,
                 erp_in_process: bool = True) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        self.kernel = Kernel(seed, start, scale)
        self.world = World(seed)
        self.book = Book()
        self.erp_in_process = erp_in_process
        self.desks: dict[str, Any] = {cls.NAME: cls(self.kernel, self.world, self.book)
                                      for cls in DESKS}
        for name in ("opening", "accounts"):  # they hand deals to (or close them at) sales
            self.desks[name].desks = self.desks
        self.stats = Stats()
        self.started = False
        self.next_day = day_start(local_day(start))
        self.last_at = start

    def cycle(self, at: datetime, submit: Submit) -> int:
        """Submit the inputs of the 30 minutes ending at `at`, then TickClock(at).

        Inputs are in non-decreasing occurred_at order within (at - 30 min, at]; the
        organisation is set up in the first cycle. Returns the number of inputs submitted.
        """
        k = self.kernel
        floor = max(at - CYCLE, self.last_at) + timedelta(seconds=1)
        k.now = min(floor, at)
        count = self._flush(submit, floor, at)  # anything observe() queued meanwhile
        if not self.started:
            self.started = True
            for desk in ("org", "accounts", "opening"):  # opening: the go-live migration
                self.desks[desk].setup()
                count += self._flush(submit, floor, at)
        while self.next_day <= at:  # (after a gap, missed days' activity is skipped)
            k.drop_before = max(k.start, floor - timedelta(seconds=1))
            for desk in self.desks.values():
                desk.plan_day(self.next_day)
            k.drop_before = None
            self.next_day = day_start(local_day(self.next_day) + timedelta(days=1))
        while (item := k.pop_due(at)) is not None:
            due, _, desk, method, args = item
            k.now = max(due, floor)
            if desk == "erp":
                k.outbox.append(args[0])
            else:
                getattr(self.desks[desk], method)(*args)
            count += self._flush(submit, floor, at)
        k.now = at
        tick = TickClock(event_id=f"tick-{k.ns}-{at:%Y%m%dT%H%M%S}", aggregate_id="clock",
                         occurred_at=at, producer="simulator", actor=SYSTEM)
        k.outbox.append(tick)
        count += self._flush(submit, floor, at)
        self.last_at = at
        return count

    def _flush(self, submit: Submit, floor: datetime, at: datetime) -> int:
        """Submit the queued inputs (and those their events trigger), in order."""
        outbox, n = self.kernel.outbox, 0
        while n < len(outbox):
            message = outbox[n]
            n += 1
            if not floor <= message.occurred_at <= at:  # queued outside a cycle: restamp
                when = min(max(message.occurred_at, floor), at)
                message = message.model_copy(update={"occurred_at": when})
            self.stats.count_input(message)
            self.observe(submit(message))
        outbox.clear()
        return n

    def observe(self, events: list[Event]) -> None:
        """Learn from derived events (cycle() calls it with what submit returned)."""
        for event in events:
            self.stats.count_event(event)
            if event.event_type in ERP_REQUESTS and self.erp_in_process:
                reply = erp_reply(event)  # type: ignore[arg-type]
                self.kernel.schedule(reply.occurred_at, "erp", "reply", reply)
            for desk, method in ROUTES.get(event.event_type, ()):
                getattr(self.desks[desk], method)(event)
