"""Scenario helpers for Area B tests: a small org, an account, and deals driven by commands."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts import OpenAccount
from domain.catalog import rulebook
from domain.core import Rejected
from domain.engine import handle
from domain.messages import Command, Event, utc
from domain.opportunities import AddOpportunityProduct, OpenOpportunity, Opportunity
from domain.opportunity_stages import ChangeOpportunityStage
from domain.quote_approvals import DecideQuoteApproval
from domain.quote_status import AcceptQuote, SendQuote
from domain.quotes import Quote
from domain.rules_config import DEFAULT_RULES, BusinessRules
from domain.sales_org import DefineTerritory, HireSalesRep
from domain.state import CrmState
from domain.system import CommandRejected, TickClock

START = utc(2026, 3, 2, 9)  # a Monday


class Scenario:
    """Commands in, events out, with an advancing event-time clock and unique ids."""

    def __init__(self, at: datetime = START, rules: BusinessRules = DEFAULT_RULES) -> None:
        self.state = CrmState()
        self.now = at
        self.rules = rules
        self.seq = 0
        self.log: list[Event] = []

    def at(self, when: datetime) -> Scenario:
        """Move the scenario clock (commands are stamped with it)."""
        self.now = when
        return self

    def later(self, **delta: float) -> Scenario:
        """Advance the scenario clock."""
        self.now += timedelta(**delta)
        return self

    def send(self, cls: type[Command], aggregate_id: str, **fields: Any) -> list[Event]:
        """Handle one command; returns the derived events."""
        self.seq += 1
        msg = cls(event_id=f"b-{self.seq}", aggregate_id=aggregate_id, occurred_at=self.now,
                  **fields)
        events = handle(self.state, msg, self.rules, book=rulebook())
        self.log.extend(events)
        return events

    def ok(self, cls: type[Command], aggregate_id: str, **fields: Any) -> list[Event]:
        """Handle a command that must succeed."""
        events = self.send(cls, aggregate_id, **fields)
        refused = [e for e in events if isinstance(e, CommandRejected)]
        assert not refused, refused[0].reason
        return events

    def refused(self, cls: type[Command], aggregate_id: str, **fields: Any) -> str:
        """Handle a command that must be refused; returns the reason."""
        events = self.send(cls, aggregate_id, **fields)
        assert len(events) == 1 and isinstance(events[0], CommandRejected), events
        return events[0].reason

    def tick(self, when: datetime) -> list[Event]:
        """A clock tick at `when` (also moves the scenario clock)."""
        self.now = when
        return self.send(TickClock, "clock")

    def opp(self, opp_id: str = "O1") -> Opportunity:
        return self.state.get("opportunity", opp_id)

    def quote(self, quote_id: str) -> Quote:
        return self.state.get("quote", quote_id)

    # ------------------------------------------------------------------ set-up helpers

    def org(self) -> Scenario:
        """Territory T1 with a VP, a director, a manager and two AEs (R1, R2) under him."""
        self.ok(DefineTerritory, "T1", territory_code="WEST", territory_name="West",
                territory_quota=Decimal("12000000"))
        self.ok(HireSalesRep, "VP1", first_name="Vera", last_name="Pillai", sales_role="VP")
        self.ok(HireSalesRep, "D1", first_name="Dev", last_name="Rao", sales_role="Director",
                territory_id="T1")
        self.ok(HireSalesRep, "M1", first_name="Mala", last_name="Iyer", sales_role="Manager",
                territory_id="T1")
        for rep in ("R1", "R2"):
            self.ok(HireSalesRep, rep, first_name="Rep", last_name=rep, sales_role="AE",
                    territory_id="T1", manager_id="M1", annual_quota=Decimal("1200000"),
                    quarterly_quota=Decimal("300000"))
        # An existing ERP customer: its accepted quotes go straight to a sales order
        # (accounts without a customer master: tests/test_rules_erp.py, master data).
        self.ok(OpenAccount, "A1", account_name="Acme Forge", customer_id="CUST-A1")
        return self

    def deal(self, opp_id: str = "O1", amount: str = "100000", owner: str | None = "R1",
             close: date = date(2026, 3, 20), **fields: Any) -> list[Event]:
        """Open an opportunity for account A1."""
        return self.ok(OpenOpportunity, opp_id, opportunity_name=f"Deal {opp_id}",
                       account_id="A1", amount=Decimal(amount), close_date=close,
                       opportunity_owner=owner, **fields)

    def product(self, opp_id: str, qty: str, price: str, discount: str = "0") -> list[Event]:
        return self.ok(AddOpportunityProduct, opp_id, product_name="CNC spindle",
                       quantity=Decimal(qty), list_price=Decimal(price),
                       discount_pct=Decimal(discount), material_id="MAT-1",
                       unit_of_measure="EA")

    def stage(self, opp_id: str, to: str, **fields: Any) -> list[Event]:
        return self.ok(ChangeOpportunityStage, opp_id, to_stage=to, **fields)

    def to_proposal(self, opp_id: str = "O1") -> str:
        """Walk a deal to proposal; returns the generated quotation id."""
        for stage in ("qualification", "needs_analysis", "proposal"):
            self.stage(opp_id, stage)
        quote_id = self.opp(opp_id).quote_id
        assert quote_id is not None
        return quote_id

    def accepted_quote(self, opp_id: str = "O1") -> str:
        """A deal whose (approval-free) quote was sent and accepted; returns the quote id."""
        quote_id = self.to_proposal(opp_id)
        for level, _, _ in self.quote(quote_id).approvals:
            self.ok(DecideQuoteApproval, quote_id, level=level, decision="approved")
        self.ok(SendQuote, quote_id)
        self.ok(AcceptQuote, quote_id)
        return quote_id


def of(events: list[Event], cls: type[Event]) -> list[Any]:
    """The events of one type."""
    return [e for e in events if isinstance(e, cls)]


def one(events: list[Event], cls: type[Event]) -> Any:
    """The single event of a type."""
    found = of(events, cls)
    assert len(found) == 1, f"{len(found)} {cls.__name__} in {[e.event_type for e in events]}"
    return found[0]


__all__ = ["START", "Rejected", "Scenario", "of", "one"]
