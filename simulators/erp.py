"""The ERP's side of the quote-to-order loop: a pure, deterministic decision per request.

`erp_reply` answers one request the core sent the ERP:
- CustomerMasterRequested (CRM -> Master Data): CustomerMasterCreated 0.5-6 hours later
  with the customer number, or CustomerMasterRejected with master data's reason (a data
  problem of the account, which fails its first attempts, or a timeout);
- SalesOrderRequested (CRM -> ERP): SalesOrderCreated 1-8 hours later (most of the time)
  or SalesOrderRejected; a request without a customer master id (sold-to party) is always
  refused, as an ERP does.
Replies come in the ERP back office's hours (Mon-Fri 08:00-20:00 IST, Saturday 08:00-14:00,
closed on Sundays and holidays; `reply_time`): the delay is counted from when the request
is picked up and ends the same working day. The CRM side (requests, retries after a
refusal) runs at any hour; the answers wait for the back office.
Everything, the outcome, the numbers and the reply time, follows from the request's
event_id through a hash-seeded Random (the customer number from the account id), so the
in-process simulation and the live ERP worker give the same reply, byte for byte, and a
replayed request gets the same answer (same event_id: the core ignores the duplicate).
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from domain.erp.messages import (
    CustomerMasterCreated,
    CustomerMasterRejected,
    CustomerMasterRequested,
    SalesOrderCreated,
    SalesOrderRejected,
    SalesOrderRequested,
)
from domain.kernel.messages import Command, Event
from simulators.kernel import ERP
from simulators.worktime import IST, local_day, next_open, window

# The back office works a closed spell's queue off in about the working time the spell is
# worth (FIFO), not spread over the week like the sales office's backlog (BACKLOG_SPREAD).
PICKUP_SPREAD = 1.0
ERP_REQUESTS = frozenset({"SalesOrderRequested", "CustomerMasterRequested"})
REJECT_FIRST, REJECT_RETRY = 0.04, 0.02  # sales orders refused (credit, material, price...)
# Customer masters: 8 % of new customers have a data problem (fixed reason per account)
# that fails the first 1-5 attempts (40/30/15/10/5 %): with 3 retries, 1.2 % exhaust them
# and wait for a data steward. Any attempt can also time out (2 %).
DIRTY_ACCOUNTS = 0.08
DIRTY_ATTEMPTS = ((1, 40), (2, 30), (3, 15), (4, 10), (5, 5))
MASTER_TIMEOUT = 0.02
REASONS = ("Credit limit exceeded for the customer; awaiting finance release",
           "Material {material} blocked for sales in plant 1000",
           "Pricing condition missing for material {material}",
           "Requested delivery date not feasible with current capacity")
MASTER_REASONS = (
    "GSTIN missing or invalid for sold-to party {name}",
    "Possible duplicate of an existing customer (same PAN); data steward review required",
    "Tax jurisdiction could not be determined from the billing address",
    "Credit control area not maintained for sales organisation 1000",
)


def _rng(request: Event) -> random.Random:
    digest = hashlib.sha256(f"erp/{request.event_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def reply_time(at: datetime, rng: random.Random, low_s: int, high_s: int) -> datetime:
    """When the ERP back office answers a request sent at `at`: `low_s`-`high_s` seconds
    after it is picked up, before closing on the day it is picked up (worktime's "erp"
    hours). Requests that arrive while the back office is closed are picked up in arrival
    order over the working time the closed spell is worth (`PICKUP_SPREAD`: a weekend's
    queue on Monday and Tuesday morning, a night's in the first hours of the next day);
    one that arrives too late to be answered the same day waits for the next opening.
    So orders and customer masters, and the wins and links they cause, fall inside the
    back office's hours, and Monday carries only the weekend's queue."""
    start = next_open(at, "erp", None, PICKUP_SPREAD).replace(microsecond=0)
    for _ in range(30):
        span = window(local_day(start), "erp")
        if span is not None:
            room = int((span[1] - start).total_seconds()) - 1  # answered before closing
            if room >= low_s:
                return start + timedelta(seconds=rng.randrange(low_s, min(high_s, room) + 1))
            start = next_open(span[1], "erp", None, 0.0)  # first thing the next morning
        else:
            start = next_open(start, "erp", None, 0.0)
    return at + timedelta(seconds=rng.randrange(low_s, high_s + 1))


def _envelope(request: Event, rng: random.Random, low_s: int, high_s: int) -> dict[str, Any]:
    when = reply_time(request.occurred_at, rng, low_s, high_s)
    return dict(event_id=f"erp-{request.event_id}"[:64], aggregate_id=request.aggregate_id,
                occurred_at=when, causation_id=request.event_id,
                correlation_id=request.correlation_id, producer="erp", actor=ERP)


def customer_number(account_id: str) -> str:
    """The ERP customer number master data gives an account (10 digits, SAP style)."""
    number = int.from_bytes(hashlib.sha256(f"customer/{account_id}".encode()).digest()[:8],
                            "big")
    return f"CUST-{number % 10**10:010d}"


def data_problem(account_id: str) -> tuple[str, int] | None:
    """The account's master-data problem (reason template, attempts it fails), if any:
    a property of the account, so every retry meets it until it is used up."""
    rng = random.Random(int.from_bytes(
        hashlib.sha256(f"mdm/{account_id}".encode()).digest()[:8], "big"))
    if rng.random() >= DIRTY_ACCOUNTS:
        return None
    reason, draw = rng.choice(MASTER_REASONS), rng.uniform(0, 100)
    for attempts, weight in DIRTY_ATTEMPTS:
        draw -= weight
        if draw < 0:
            return reason, attempts
    return reason, DIRTY_ATTEMPTS[-1][0]


def master_data_reply(request: CustomerMasterRequested) -> Command:
    """Master data's answer: the customer created (mostly) or refused, 0.5-6 hours later."""
    rng = _rng(request)
    envelope = _envelope(request, rng, 1800, 6 * 3600)
    problem = data_problem(request.account_id)
    timeout = rng.random() < MASTER_TIMEOUT
    if problem is not None and request.attempt <= problem[1]:
        return CustomerMasterRejected(**envelope, account_id=request.account_id,
                                      reason=problem[0].format(name=request.account_name))
    if timeout:
        return CustomerMasterRejected(**envelope, account_id=request.account_id,
                                      reason="Master data service unavailable: no response "
                                             "within 60 s; request not processed")
    return CustomerMasterCreated(**envelope, account_id=request.account_id,
                                 customer_id=customer_number(request.account_id))


def erp_reply(request: SalesOrderRequested | CustomerMasterRequested) -> Command:
    """The ERP's answer to `request` (either request type; see the module docstring)."""
    if isinstance(request, CustomerMasterRequested):
        return master_data_reply(request)
    rng = _rng(request)
    envelope = _envelope(request, rng, 3600, 8 * 3600)
    when = envelope["occurred_at"]
    if request.customer_id is None:
        return SalesOrderRejected(**envelope, quotation_id=request.quotation_id,
                                  reason=f"Customer master not found for account "
                                         f"{request.account_id}: sold-to party required")
    if rng.random() < (REJECT_FIRST if request.attempt == 1 else REJECT_RETRY):
        material = next((ln.material_id for ln in request.lines if ln.material_id), None)
        reasons = REASONS if material else tuple(r for r in REASONS if "{" not in r)
        return SalesOrderRejected(**envelope, quotation_id=request.quotation_id,
                                  reason=rng.choice(reasons).format(material=material))
    number = int.from_bytes(hashlib.sha256(request.event_id.encode()).digest()[:4], "big")
    return SalesOrderCreated(**envelope, sales_order_id=f"SO-{number % 10**9:09d}",
                             quotation_id=request.quotation_id,
                             order_total=request.total_amount,
                             order_date=when.astimezone(IST).date())
