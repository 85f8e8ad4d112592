"""The scenario harness of the rule tests: commands and clock ticks folded in process.

A `Scenario` holds a `CrmState` and an event-time clock. Every input gets the next id
(`in-1`, `in-2`, ...) and the clock's time, is folded through `domain.kernel.engine.handle`, and
its derived events are returned (and kept in `events`), so a test reads as a timeline:

    s = Scenario().org()
    s.deal("O1")
    s.at(T0 + timedelta(days=1)).tick()

The clock stands still unless a test moves it (`at`, `later`, `tick`); with
`step=MINUTE` it also moves one minute before each input, for tests that only need inputs
in order. The seed helpers below the reads are grouped by what they seed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts.messages import OpenAccount
from domain.accounts.revenue import record_account_revenue
from domain.campaigns.messages import (
    AddCampaignMember,
    LaunchCampaign,
    PlanCampaign,
    RecordCampaignResponse,
    VariantSpec,
)
from domain.catalog import rulebook
from domain.contacts.messages import CreateContact
from domain.kernel.context import Context
from domain.kernel.engine import handle
from domain.kernel.messages import Event, Message, utc
from domain.kernel.state import CrmState
from domain.kernel.system import CommandRejected, TickClock
from domain.leads.messages import AssessLeadBant, CaptureLead, ConvertLead, LogLeadActivity
from domain.opportunities.entities import Opportunity
from domain.opportunities.messages import (
    AddOpportunityProduct,
    ChangeOpportunityStage,
    OpenOpportunity,
)
from domain.quotes.entities import Quote
from domain.quotes.messages import AcceptQuote, DecideQuoteApproval, SendQuote
from domain.rules_config import DEFAULT_RULES, BusinessRules
from domain.sales_org.messages import DefineTerritory, HireSalesRep

T0 = utc(2026, 3, 2, 9)  # a Monday
MINUTE = timedelta(minutes=1)


class Scenario:
    """A CRM state, an event-time clock and the inputs folded so far."""

    def __init__(self, rules: BusinessRules = DEFAULT_RULES, *, start: datetime = T0,
                 step: timedelta = timedelta(0)) -> None:
        self.state = CrmState()
        self.rules = rules
        self.now = start
        self.step = step
        self.inputs: list[Message] = []
        self.events: list[Event] = []
        self._numbered = 0

    # ---- the clock --------------------------------------------------------------------

    def at(self, when: datetime) -> Scenario:
        """Move the clock to `when` (the next inputs take this event time)."""
        self.now = when
        return self

    def later(self, **delta: float) -> Scenario:
        """Move the clock forward by a timedelta's keyword arguments."""
        self.now += timedelta(**delta)
        return self

    # ---- inputs -----------------------------------------------------------------------

    def message(self, cls: type[Message], aggregate_id: str, **fields: Any) -> Message:
        """The next input, not folded: stamped with the clock (after moving it by `step`)
        unless `occurred_at` is given."""
        self._numbered += 1
        self.now += self.step
        return cls(event_id=f"in-{self._numbered}", aggregate_id=aggregate_id,
                   occurred_at=fields.pop("occurred_at", self.now), **fields)

    def fold(self, message: Message) -> list[Event]:
        """Fold a prepared input (e.g. one sent twice); its derived events."""
        self.inputs.append(message)
        out = handle(self.state, message, self.rules, book=rulebook())
        self.events.extend(out)
        return out

    def send(self, cls: type[Message], aggregate_id: str, **fields: Any) -> list[Event]:
        """Fold one command; its derived events (a refusal among them if refused)."""
        return self.fold(self.message(cls, aggregate_id, **fields))

    def ok(self, cls: type[Message], aggregate_id: str, **fields: Any) -> list[Event]:
        """Fold a command that must not be refused; its derived events."""
        out = self.send(cls, aggregate_id, **fields)
        refused = [e for e in out if isinstance(e, CommandRejected)]
        assert not refused, refused[0].reason
        return out

    def refused(self, cls: type[Message], aggregate_id: str, **fields: Any) -> str:
        """Fold a command that must be refused (and derive nothing else); the reason."""
        out = self.send(cls, aggregate_id, **fields)
        assert len(out) == 1 and isinstance(out[0], CommandRejected), out
        return out[0].reason

    def tick(self, when: datetime | None = None) -> list[Event]:
        """A clock tick at `when` (default: the clock), moving the clock there."""
        if when is not None:
            self.now = when
        return self.send(TickClock, "clock", occurred_at=self.now)

    def ticks_until(self, end: datetime, minutes: int = 30) -> list[Event]:
        """Ticks every `minutes` from the clock up to and including `end`."""
        out: list[Event] = []
        while self.now + timedelta(minutes=minutes) <= end:
            out += self.tick(self.now + timedelta(minutes=minutes))
        return out

    def context(self, at: datetime | None = None) -> Context:
        """A rule's context whose cause is a tick at the clock (or `at`), for calling a
        domain function directly; `commit()` it for the events."""
        cause = self.message(TickClock, "clock", **({"occurred_at": at} if at else {}))
        return Context(self.state, cause, self.rules, book=rulebook())

    def run(self, rule: Callable[[Context], None], at: datetime | None = None) -> list[Event]:
        """Run a domain function the way another rule calls it, in a `context`; the
        events it emitted (kept in `events`)."""
        ctx = self.context(at)
        rule(ctx)
        out = ctx.commit()
        self.events.extend(out)
        return out

    # ---- reads ------------------------------------------------------------------------

    def opp(self, opp_id: str = "O1") -> Opportunity:
        """An opportunity's current state."""
        return self.state.get("opportunity", opp_id)

    def quote(self, quote_id: str) -> Quote:
        """A quote's current state."""
        return self.state.get("quote", quote_id)

    # ---- seed: the sales organisation -------------------------------------------------

    def territory(self, territory_id: str, code: str, **criteria: Any) -> Scenario:
        """A territory named after its code (`criteria`: countries, states, tiers, ...)."""
        self.ok(DefineTerritory, territory_id, territory_code=code,
                territory_name=f"Territory {code}", **criteria)
        return self

    def rep(self, rep_id: str, role: str = "AE", territory: str | None = None,
            manager: str | None = None) -> Scenario:
        """A sales rep called `rep_id` Rep."""
        self.ok(HireSalesRep, rep_id, first_name=rep_id, last_name="Rep", sales_role=role,
                territory_id=territory, manager_id=manager)
        return self

    def org(self) -> Scenario:
        """Territory T1 with a VP, a director, a manager and two AEs (R1, R2) under him,
        and account A1, an existing ERP customer (its accepted quotes go straight to a
        sales order; accounts without a customer master: tests/test_rules_erp.py)."""
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
        self.ok(OpenAccount, "A1", account_name="Acme Forge", customer_id="CUST-A1")
        return self

    # ---- seed: accounts and contacts --------------------------------------------------

    def account(self, account_id: str = "A1", name: str | None = None,
                **fields: Any) -> Scenario:
        """An account (named `Company <id>` unless `name` is given)."""
        self.ok(OpenAccount, account_id, account_name=name or f"Company {account_id}",
                **fields)
        return self

    def contact(self, contact_id: str, account: str, **fields: Any) -> Scenario:
        """A contact (Ravi Iyer unless overridden) at an account."""
        self.ok(CreateContact, contact_id, account_id=account, first_name="Ravi",
                last_name="Iyer", **fields)
        return self

    def revenue(self, account_id: str, amount: str, on: date,
                at: datetime | None = None) -> list[Event]:
        """Revenue booked for an account, the way the ERP rules book it."""
        return self.run(lambda ctx: record_account_revenue(ctx, account_id, Decimal(amount),
                                                           on), at)

    # ---- seed: leads ------------------------------------------------------------------

    def lead(self, lead_id: str, **fields: Any) -> list[Event]:
        """Capture a lead (website, medium Energy company, unless overridden)."""
        base: dict[str, Any] = dict(company_name=f"{lead_id} Industries",
                                    lead_source="website", industry="Energy",
                                    company_size="medium", contact_first_name="Asha",
                                    contact_last_name="Rao",
                                    email=f"asha@{lead_id.lower()}.example")
        return self.ok(CaptureLead, lead_id, **{**base, **fields})

    def bant(self, lead_id: str, budget: bool = True, authority: bool = True,
             need: bool = True, timeline: bool = False) -> list[Event]:
        """Assess a lead's BANT."""
        return self.ok(AssessLeadBant, lead_id, has_budget=budget,
                       is_decision_maker=authority, has_identified_need=need,
                       has_timeline=timeline)

    def activity(self, lead_id: str, kind: str = "call") -> list[Event]:
        """Log an activity on a lead."""
        return self.ok(LogLeadActivity, lead_id, activity_type=kind, subject="Intro call")

    def qualified_lead(self, lead_id: str, **fields: Any) -> None:
        """A lead that qualifies (referral + enterprise + industry + 3 BANT)."""
        self.lead(lead_id, lead_source="referral", company_size="enterprise", **fields)
        self.bant(lead_id)

    def convert(self, lead_id: str, rep: str = "R1", **fields: Any) -> list[Event]:
        """Send ConvertLead (may be refused)."""
        return self.send(ConvertLead, lead_id, converted_by=rep, **fields)

    # ---- seed: campaigns --------------------------------------------------------------

    def campaign(self, campaign_id: str, variants: tuple[str, ...] = (), launch: bool = True,
                 **fields: Any) -> Scenario:
        """Plan (and launch) an email campaign for March 2026."""
        base: dict[str, Any] = dict(campaign_name=f"Campaign {campaign_id}",
                                    campaign_type="email", start_date=date(2026, 3, 1),
                                    end_date=date(2026, 3, 31),
                                    budgeted_cost=Decimal("100000"))
        self.ok(PlanCampaign, campaign_id,
                variants=[VariantSpec(variant_code=v, variant_name=f"V{v}") for v in variants],
                **{**base, **fields})
        if launch:
            self.ok(LaunchCampaign, campaign_id)
        return self

    def member(self, member_id: str, campaign: str, lead: str | None = None,
               contact: str | None = None, variant: str | None = None) -> Scenario:
        """Add a lead or a contact to a campaign."""
        self.ok(AddCampaignMember, member_id, campaign_id=campaign,
                member_type="lead" if lead else "contact", lead_id=lead, contact_id=contact,
                variant_code=variant)
        return self

    def respond(self, member_id: str, response: str) -> list[Event]:
        """Record a member's response."""
        return self.ok(RecordCampaignResponse, member_id, response=response)

    # ---- seed: deals and quotes -------------------------------------------------------

    def deal(self, opp_id: str = "O1", amount: str = "100000", owner: str | None = "R1",
             close: date = date(2026, 3, 20), **fields: Any) -> list[Event]:
        """Open an opportunity for account A1."""
        return self.ok(OpenOpportunity, opp_id, opportunity_name=f"Deal {opp_id}",
                       account_id="A1", amount=Decimal(amount), close_date=close,
                       opportunity_owner=owner, **fields)

    def product(self, opp_id: str, qty: str, price: str, discount: str = "0") -> list[Event]:
        """Add a product line (a CNC spindle) to an opportunity."""
        return self.ok(AddOpportunityProduct, opp_id, product_name="CNC spindle",
                       quantity=Decimal(qty), list_price=Decimal(price),
                       discount_pct=Decimal(discount), material_id="MAT-1",
                       unit_of_measure="EA")

    def stage(self, opp_id: str, to: str, **fields: Any) -> list[Event]:
        """Move an opportunity to stage `to`."""
        return self.ok(ChangeOpportunityStage, opp_id, to_stage=to, **fields)

    def to_proposal(self, opp_id: str = "O1") -> str:
        """Walk a deal to proposal; the generated quotation's id."""
        for stage in ("qualification", "needs_analysis", "proposal"):
            self.stage(opp_id, stage)
        quote_id = self.opp(opp_id).quote_id
        assert quote_id is not None
        return quote_id

    def accepted_quote(self, opp_id: str = "O1") -> str:
        """A deal whose quote was approved, sent and accepted; the quote's id."""
        quote_id = self.to_proposal(opp_id)
        for level, _, _ in self.quote(quote_id).approvals:
            self.ok(DecideQuoteApproval, quote_id, level=level, decision="approved")
        self.ok(SendQuote, quote_id)
        self.ok(AcceptQuote, quote_id)
        return quote_id


def of_type(events: list[Event], cls: type[Event]) -> list[Any]:
    """The events of one class, in order."""
    return [e for e in events if isinstance(e, cls)]


def one(events: list[Event], cls: type[Event]) -> Any:
    """The single event of a class."""
    found = of_type(events, cls)
    assert len(found) == 1, f"{len(found)} {cls.__name__} in {[e.event_type for e in events]}"
    return found[0]


def rejection(events: list[Event]) -> str | None:
    """The reason of the (first) refusal among events, if any."""
    found = of_type(events, CommandRejected)
    return found[0].reason if found else None
