"""Customer support: 200-400 cases a week (scale 1) and how the service team works them.

Customers open cases mostly in office hours; the support desk answers 07:00-23:00 every
day, critical and high cases around the clock. The engineer usually answers and resolves
well inside the SLA the core computed (CaseOpened carries the deadlines); a few per cent
run late, some cases wait for the customer (who nearly always replies; a silent one is
auto-resolved by the core). The resolution clock stops while the case waits for the
customer, so a wait never makes a case late by itself. Breaches follow load: the busier
the assigned engineer (open cases), the more often and the later the work is late.
Customers rate about half the resolved cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.cases.messages import (
    OpenCase,
)
from domain.interactions.messages import RecordInteraction
from simulators.case_work import CaseWork
from simulators.catalog import (
    CASE_SUBJECTS,
    FAMILIES,
    INDUSTRY_FAMILIES,
    PRODUCTS,
)
from simulators.kernel import CUSTOMER, SUPPORT, Desk
from simulators.worktime import local_day, next_open, office_times, service_season
from simulators.world import pick

DAILY_CASES = (48, 48, 48, 48, 48, 25, 15)  # by weekday at scale 1: 280 a week
PRIORITIES = (("critical", 5), ("high", 20), ("medium", 50), ("low", 25))
CATEGORIES = (("technical", 40), ("quality", 20), ("delivery", 20), ("billing", 12),
              ("other", 8))
TYPES = (("problem", 50), ("question", 25), ("complaint", 15), ("feature_request", 10))
# Share of cases the engineer answers / resolves late. Calibrated for a case breach rate of
# about 10 % (critical) down to 5 % (low), 6-7 % overall, inside published B2B support
# norms (5-15 %). Until the SLA clock stopped while pending the customer (issue 13), about
# 1.2 points of breaches came from customers' waits and silent auto-resolved cases instead.
# These are the shares at the usual load. Breaches follow load: the share grows with the
# square of the assigned engineer's open cases over CAPACITY (a busy Monday, a reassigned
# backlog, a season's peak; `late_share`) and a late case is later the busier the engineer.
LATE_RESPONSE = {"critical": 0.04, "high": 0.03, "medium": 0.02, "low": 0.015}
LATE_RESOLUTION = {"critical": 0.06, "high": 0.05, "medium": 0.04, "low": 0.035}
CAPACITY = 9.0  # open cases an engineer carries at the usual pace (the median; × scale:
# the team is sized for the volume)
MAX_LATE = 0.6


def late_share(usual: float, load: float) -> float:
    """The share of cases done late by an engineer at `load` (open cases / CAPACITY)."""
    return min(MAX_LATE, usual * load ** 2)


@dataclass(slots=True)
class CaseFile:
    """A case as the support team sees it."""

    account_id: str
    contact_id: str | None
    priority: str
    category: str
    assignee: str | None
    status: str = "new"
    responded: bool = False
    breached: bool = False
    rating: bool = False
    load: float = 1.0  # the engineer's open cases / CAPACITY when it came in

    def engineer(self) -> str:
        """Who works the case: its engineer, or the support desk while it has none."""
        return self.assignee or SUPPORT

    def customer(self) -> str:
        """Who answers for the customer: the case's contact, or an unnamed customer."""
        return self.contact_id or CUSTOMER


class ServiceDesk(CaseWork, Desk):
    """Opens the customers' cases and works them."""

    NAME = "service"
    HANDLES = {"CaseOpened": "on_opened", "CaseResponded": "on_status",
               "CaseMarkedPendingCustomer": "on_status", "CaseCustomerReplied": "on_status",
               "CaseEscalated": "on_escalated", "CaseSlaViolated": "on_breach",
               "CaseAssigned": "on_assigned", "CaseResolved": "on_resolved",
               "CaseClosed": "on_closed", "IntegrationCompleted": "on_order"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cases: dict[str, CaseFile] = {}

    def plan_day(self, day_start: datetime) -> None:
        """The day's cases: 85 % in office hours, the rest at any hour."""
        day, k = local_day(day_start), self.k
        n = k.count(DAILY_CASES[day.weekday()] * service_season(day) * k.scale)
        office = office_times(day, sum(k.chance(0.85) for _ in range(n)), k.rng)
        for when in office:
            self.at(when, "open_case")
        for _ in range(n - len(office)):
            when = (day_start + timedelta(hours=24 * k.rng.random())).replace(microsecond=0)
            if when > k.start:
                self.at(when, "open_case")

    def open_case(self) -> None:
        """A customer reports a problem, question, complaint or wish."""
        book, rng = self.book, self.k.rng
        if not book.customers:
            return
        account = book.accounts[rng.choices(book.customers, weights=book.customer_weight)[0]]
        family = rng.choice(INDUSTRY_FAMILIES.get(account.industry or "", FAMILIES))
        product = rng.choice([p for p in PRODUCTS if p.family == family])
        category = pick(rng, CATEGORIES)
        kind = pick(rng, TYPES)
        priority = pick(rng, PRIORITIES)
        orders = book.orders.get(account.account_id)
        contact = rng.choice(account.contacts) if account.contacts else None
        self.k.send(OpenCase, self.k.new_id("CASE"), account_id=account.account_id,
                    contact_id=contact, subject=rng.choice(CASE_SUBJECTS[category]).format(
                        p=product.name)[:200],
                    description=f"Reported from the plant ({account.name}). " + (
                        "Line is down; urgent support needed." if priority == "critical"
                        else "Please advise at the earliest."),
                    case_type=kind, case_category=category, priority=priority,
                    related_product=product.name,
                    related_order_id=rng.choice(orders) if orders and category in (
                        "delivery", "billing", "quality") else None,
                    created_by=contact or "customer-portal")

    # ------------------------------------------------------------------ learning
    def on_opened(self, e: Any) -> None:
        """Plan the case: first response, perhaps a wait for the customer, resolution."""
        case = CaseFile(e.account_id, e.contact_id, e.priority, e.case_category or "other",
                        e.assigned_to,
                        load=self.load(e.assigned_to) / (CAPACITY * self.k.scale))
        self.cases[e.aggregate_id] = case
        rng, now, cid = self.k.rng, self.k.now, e.aggregate_id
        kind = "any" if e.priority in ("critical", "high") else "support"
        respond = self._when(e.response_due_date, e.sla_response_hours,
                             LATE_RESPONSE[e.priority], kind, now, case.load)
        resolve = self._when(e.resolution_due_date, e.sla_resolution_hours,
                             LATE_RESOLUTION[e.priority], kind, respond + timedelta(minutes=30),
                             case.load)
        self.at(respond, "respond", cid)
        span = resolve - respond
        if rng.random() < 0.18 and span > timedelta(hours=2):
            pending = respond + span * rng.uniform(0.2, 0.45)
            self.at(pending, "wait_for_customer", cid)
            if rng.random() < 0.95:
                self.at(pending + span * rng.uniform(0.1, 0.35), "customer_reply", cid)
            elif rng.random() < 0.3:  # answers after the core auto-resolved it (refused)
                self.at(pending + timedelta(days=rng.uniform(8, 10)), "late_reply", cid)
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            self.at(respond + span * rng.random(), "comment", cid, False)
        if rng.random() < 0.08:
            self.at(respond + span * 0.1, "reassign", cid)
        self.at(resolve, "resolve", cid)
        if rng.random() < 0.5:
            self.k.send(RecordInteraction, self.k.new_id("INT"), actor=case.engineer(),
                        case_id=cid,
                        account_id=e.account_id, contact_id=e.contact_id,
                        interaction_type=pick(rng, (("call", 50), ("email", 35), ("chat", 15))),
                        subject=e.subject, direction="inbound", duration_minutes=10,
                        sentiment="negative" if e.case_type == "complaint"
                        or e.priority == "critical" else "neutral")

    def load(self, engineer: str | None) -> int:
        """The open cases (not yet resolved) the engineer is working on."""
        return sum(1 for c in self.cases.values()
                   if c.assignee == engineer and c.status not in ("resolved", "closed"))

    def _when(self, due: datetime, sla_hours: int, late_p: float, kind: str,
              earliest: datetime, load: float = 1.0) -> datetime:
        """When the engineer gets it done: inside the SLA (the on-call engineer covers
        after hours), or late, more often and by more the busier the engineer is."""
        rng, now = self.k.rng, self.k.now
        if rng.random() < late_share(late_p, load):
            when = due + timedelta(hours=sla_hours * rng.uniform(0.05, 0.8) * max(1.0, load))
            return next_open(when, kind, rng).replace(microsecond=0)
        when = next_open(now + (due - now) * rng.uniform(0.05, 0.85), kind, rng)
        if when >= due - timedelta(minutes=5):
            when = now + (due - now) * rng.uniform(0.5, 0.95)
        return max(when, earliest).replace(microsecond=0)

    def on_status(self, e: Any) -> None:
        """Follow the case's status."""
        case = self.cases.get(e.aggregate_id)
        if case is not None:
            case.status = getattr(e, "case_status", "pending_customer")
            case.responded = True  # responded, or asked the customer (which counts)

    def on_assigned(self, e: Any) -> None:
        """Learn the new assignee."""
        case = self.cases.get(e.aggregate_id)
        if case is not None:
            case.assignee = e.assigned_to

    def on_breach(self, e: Any) -> None:
        """Remember that the SLA was missed (customers rate such cases lower)."""
        case = self.cases.get(e.aggregate_id)
        if case is not None:
            case.breached = True

    def on_escalated(self, e: Any) -> None:
        """The manager looks into an escalated case and calls the customer."""
        case = self.cases.get(e.aggregate_id)
        if case is None:
            return
        case.status = e.case_status
        if e.escalated_to:
            self.k.later(self.k.hours(0.2, 2), self.NAME, "comment", e.aggregate_id, True,
                         e.escalated_to, kind="any")

    def on_resolved(self, e: Any) -> None:
        """Resolved: the customer may rate it; support closes some cases itself."""
        case = self.cases.get(e.aggregate_id)
        if case is None:
            return
        case.status = "resolved"
        if self.k.chance(0.1 if e.auto_resolved else 0.5):
            case.rating = True
            self.later(self.k.hours(2, 60), "rate", e.aggregate_id)
        if self.k.chance(0.15):
            self.k.later(self.k.hours(20, 50), self.NAME, "close", e.aggregate_id,
                         kind="support")

    def on_closed(self, e: Any) -> None:
        """Closed: forget it, unless a rating is still to come."""
        case = self.cases.get(e.aggregate_id)
        if case is not None:
            case.status = "closed"
            if not case.rating:
                del self.cases[e.aggregate_id]

    def on_order(self, e: Any) -> None:
        """Remember sales orders per account (cases about deliveries quote them)."""
        account = self.book.erp_logs.pop(e.aggregate_id, None)
        if account:
            self.book.orders.setdefault(account, []).append(e.sales_order_id)
