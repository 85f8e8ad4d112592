"""Scenario helpers for area A tests: build commands with fresh ids and advancing time."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain.accounts import OpenAccount
from domain.campaign_members import AddCampaignMember, RecordCampaignResponse
from domain.campaigns import LaunchCampaign, PlanCampaign, VariantSpec
from domain.catalog import rulebook
from domain.contacts import CreateContact
from domain.engine import handle
from domain.lead_conversion import ConvertLead
from domain.lead_lifecycle import AssessLeadBant, LogLeadActivity
from domain.leads import CaptureLead
from domain.messages import Event, Message, utc
from domain.rules_config import DEFAULT_RULES, BusinessRules
from domain.sales_org import DefineTerritory, HireSalesRep
from domain.state import CrmState
from domain.system import CommandRejected

START = utc(2026, 3, 2, 9)


class World:
    """A CrmState plus a command factory: each command gets the next id and minute."""

    def __init__(self, start: datetime = START, rules: BusinessRules = DEFAULT_RULES) -> None:
        self.state = CrmState()
        self.rules = rules
        self.now = start
        self._ids = itertools.count(1)
        self.log: list[Message] = []
        self.events: list[Event] = []

    def cmd(self, cls: type[Message], aggregate_id: str, **fields: Any) -> Message:
        """A command of `cls` addressed to `aggregate_id`, one minute after the previous."""
        self.now += timedelta(minutes=1)
        return cls(event_id=f"cmd-{next(self._ids)}", aggregate_id=aggregate_id,
                   occurred_at=fields.pop("occurred_at", self.now), **fields)

    def send(self, cls: type[Message], aggregate_id: str, **fields: Any) -> list[Event]:
        """Handle one command; returns its derived events."""
        message = self.cmd(cls, aggregate_id, **fields)
        return self.feed(message)

    def feed(self, message: Message) -> list[Event]:
        """Handle an already built message (e.g. a duplicate)."""
        self.log.append(message)
        out = handle(self.state, message, self.rules, book=rulebook())
        self.events.extend(out)
        return out

    def ok(self, cls: type[Message], aggregate_id: str, **fields: Any) -> list[Event]:
        """Handle a command that must not be rejected."""
        out = self.send(cls, aggregate_id, **fields)
        rejected = [e for e in out if isinstance(e, CommandRejected)]
        assert not rejected, rejected[0].reason
        return out

    # ---- common set-ups -------------------------------------------------------------

    def territory(self, tid: str, code: str, **criteria: Any) -> None:
        """Define a territory."""
        self.ok(DefineTerritory, tid, territory_code=code, territory_name=f"Territory {code}",
                **criteria)

    def rep(self, rid: str, role: str = "AE", territory: str | None = None,
            manager: str | None = None) -> None:
        """Hire a rep."""
        self.ok(HireSalesRep, rid, first_name=rid, last_name="Rep", sales_role=role,
                territory_id=territory, manager_id=manager)

    def lead(self, lid: str, **fields: Any) -> list[Event]:
        """Capture a lead (website, medium Energy company in India unless overridden)."""
        base: dict[str, Any] = dict(company_name=f"{lid} Industries", lead_source="website",
                                    industry="Energy", company_size="medium",
                                    contact_first_name="Asha", contact_last_name="Rao",
                                    email=f"asha@{lid.lower()}.example")
        return self.ok(CaptureLead, lid, **{**base, **fields})

    def bant(self, lid: str, budget: bool = True, authority: bool = True, need: bool = True,
             timeline: bool = False) -> list[Event]:
        """Assess BANT."""
        return self.ok(AssessLeadBant, lid, has_budget=budget, is_decision_maker=authority,
                       has_identified_need=need, has_timeline=timeline)

    def activity(self, lid: str, kind: str = "call") -> list[Event]:
        """Log an activity."""
        return self.ok(LogLeadActivity, lid, activity_type=kind, subject="Intro call")

    def qualified_lead(self, lid: str, **fields: Any) -> None:
        """A lead that qualifies (referral + enterprise + industry + 3 BANT)."""
        self.lead(lid, lead_source="referral", company_size="enterprise", **fields)
        self.bant(lid)

    def convert(self, lid: str, rep: str = "R1", **fields: Any) -> list[Event]:
        """Send ConvertLead (may be rejected)."""
        return self.send(ConvertLead, lid, converted_by=rep, **fields)

    def account(self, aid: str, name: str, **fields: Any) -> None:
        """Open an account."""
        self.ok(OpenAccount, aid, account_name=name, **fields)

    def contact(self, cid: str, account: str, **fields: Any) -> None:
        """Create a contact."""
        self.ok(CreateContact, cid, account_id=account, first_name="Ravi", last_name="Iyer",
                **fields)

    def campaign(self, cid: str, variants: tuple[str, ...] = (), launch: bool = True,
                 **fields: Any) -> None:
        """Plan (and launch) a campaign."""
        base: dict[str, Any] = dict(campaign_name=f"Campaign {cid}", campaign_type="email",
                                    start_date=date(2026, 3, 1), end_date=date(2026, 3, 31),
                                    budgeted_cost=Decimal("100000"))
        self.ok(PlanCampaign, cid, variants=[VariantSpec(variant_code=v, variant_name=f"V{v}")
                                             for v in variants], **{**base, **fields})
        if launch:
            self.ok(LaunchCampaign, cid)

    def member(self, mid: str, campaign: str, lead: str | None = None,
               contact: str | None = None, variant: str | None = None) -> None:
        """Add a campaign member."""
        self.ok(AddCampaignMember, mid, campaign_id=campaign,
                member_type="lead" if lead else "contact", lead_id=lead, contact_id=contact,
                variant_code=variant)

    def respond(self, mid: str, response: str) -> list[Event]:
        """Record a member response."""
        return self.ok(RecordCampaignResponse, mid, response=response)


def of_type(events: list[Event], cls: type[Event]) -> list[Any]:
    """The events of one class."""
    return [e for e in events if isinstance(e, cls)]


def rejection(events: list[Event]) -> str | None:
    """The rejection reason, if the command was rejected."""
    found = of_type(events, CommandRejected)
    return found[0].reason if found else None
