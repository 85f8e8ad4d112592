"""Scenario helpers for the area C tests (cases, contracts, activities, health).

A `World` folds commands and clock ticks through `domain.engine.handle`, numbering the
inputs itself, so a test reads as a timeline: `w.at(T0).send(OpenCase, "C1", ...)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts import OpenAccount, record_account_revenue
from domain.catalog import rulebook
from domain.core import Context
from domain.engine import handle
from domain.messages import Command, Event, utc
from domain.rules_config import DEFAULT_RULES, BusinessRules
from domain.sales_org import HireSalesRep
from domain.state import CrmState
from domain.system import CommandRejected, TickClock

T0 = utc(2026, 3, 2, 9, 0)


class World:
    """A CRM state plus an event-time cursor; every input gets the next id."""

    def __init__(self, rules: BusinessRules = DEFAULT_RULES, now: datetime = T0) -> None:
        self.state = CrmState()
        self.rules = rules
        self.now = now
        self.inputs = 0
        self.log: list[Event] = []

    def at(self, when: datetime) -> World:
        """Move the cursor (inputs take this event time)."""
        self.now = when
        return self

    def later(self, **delta: float) -> World:
        """Move the cursor forward by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)
        return self

    def message(self, cls: type[Command], aggregate_id: str, **fields: Any) -> Command:
        """The next input, without folding it."""
        self.inputs += 1
        return cls(event_id=f"in-{self.inputs}", aggregate_id=aggregate_id,
                   occurred_at=self.now, **fields)

    def send(self, cls: type[Command], aggregate_id: str, **fields: Any) -> list[Event]:
        """Fold one command at the cursor; its derived events."""
        return self.fold(self.message(cls, aggregate_id, **fields))

    def fold(self, message: Command) -> list[Event]:
        """Fold a prepared input (e.g. one sent twice)."""
        events = handle(self.state, message, self.rules, book=rulebook())
        self.log.extend(events)
        return events

    def tick(self, when: datetime | None = None) -> list[Event]:
        """A clock tick at `when` (default: the cursor), moving the cursor there."""
        if when is not None:
            self.now = when
        return self.send(TickClock, "clock")

    def ticks_until(self, end: datetime, minutes: int = 30) -> list[Event]:
        """Ticks every `minutes` from the cursor up to and including `end`."""
        out: list[Event] = []
        while self.now + timedelta(minutes=minutes) <= end:
            out += self.tick(self.now + timedelta(minutes=minutes))
        return out

    def run(self, rule: Callable[[Context], None]) -> list[Event]:
        """Run a domain function (another area's entry point) in a context at the cursor."""
        ctx = Context(self.state, self.message(TickClock, "clock"), self.rules, "test",
                      book=rulebook())
        rule(ctx)
        events = ctx.commit()
        self.log.extend(events)
        return events

    # -- other areas' facts this area depends on ------------------------------------

    def account(self, account_id: str = "A1", name: str | None = None) -> World:
        """An account (area A)."""
        self.send(OpenAccount, account_id, account_name=name or f"Company {account_id}")
        return self

    def rep(self, rep_id: str, role: str = "SE", manager_id: str | None = None) -> World:
        """A sales rep (area A)."""
        self.send(HireSalesRep, rep_id, first_name=rep_id, last_name="Rep", sales_role=role,
                  manager_id=manager_id)
        return self

    def revenue(self, account_id: str, amount: str, on: date) -> list[Event]:
        """Revenue booked for an account (area A's entry point)."""
        return self.run(lambda ctx: record_account_revenue(ctx, account_id, Decimal(amount), on))


def of_type(events: list[Event], cls: type[Event]) -> list[Any]:
    """The events of one type, in order."""
    return [e for e in events if isinstance(e, cls)]


def rejection(events: list[Event]) -> str | None:
    """The reason of the (single) rejection among events, if any."""
    found = of_type(events, CommandRejected)
    return found[0].reason if found else None
