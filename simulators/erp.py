"""The ERP's side of the quote-to-order loop: a pure, deterministic decision per request.

`erp_reply` answers one SalesOrderRequested with SalesOrderCreated (most of the time) or
SalesOrderRejected with the ERP's reason. Everything, the outcome, the order number and
the reply time (1-8 hours after the request), follows from the request's event_id through
a hash-seeded Random, so the in-process simulation and the live ERP worker give the same
reply, byte for byte, and a replayed request gets the same answer (same event_id: the
core ignores the duplicate).
"""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from domain.erp import SalesOrderCreated, SalesOrderRejected, SalesOrderRequested
from domain.messages import Command
from simulators.worktime import IST

REJECT_FIRST, REJECT_RETRY = 0.04, 0.02  # refusals for reasons other than master data
NO_CUSTOMER_REJECT = 0.4  # requests without a customer master id refused this often
REASONS = ("Credit limit exceeded for the customer; awaiting finance release",
           "Material {material} blocked for sales in plant 1000",
           "Pricing condition missing for material {material}",
           "Requested delivery date not feasible with current capacity")


def _rng(request: SalesOrderRequested) -> random.Random:
    digest = hashlib.sha256(f"erp/{request.event_id}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def erp_reply(request: SalesOrderRequested) -> Command:
    """The ERP's answer to `request`: created (mostly) or rejected, 1-8 hours later."""
    rng = _rng(request)
    when = request.occurred_at + timedelta(seconds=rng.randrange(3600, 8 * 3600 + 1))
    envelope = dict(event_id=f"erp-{request.event_id}"[:64], aggregate_id=request.aggregate_id,
                    occurred_at=when, causation_id=request.event_id,
                    correlation_id=request.correlation_id, producer="erp")
    draw = rng.random()
    if request.customer_id is None and draw < NO_CUSTOMER_REJECT:
        return SalesOrderRejected(**envelope, quotation_id=request.quotation_id,
                                  reason=f"Customer master not found for account "
                                         f"{request.account_id}")
    if rng.random() < (REJECT_FIRST if request.attempt == 1 else REJECT_RETRY):
        material = next((ln.material_id for ln in request.lines if ln.material_id), "n/a")
        return SalesOrderRejected(**envelope, quotation_id=request.quotation_id,
                                  reason=rng.choice(REASONS).format(material=material))
    number = int.from_bytes(hashlib.sha256(request.event_id.encode()).digest()[:4], "big")
    return SalesOrderCreated(**envelope, sales_order_id=f"SO-{number % 10**9:09d}",
                             quotation_id=request.quotation_id,
                             order_total=request.total_amount,
                             order_date=when.astimezone(IST).date())
