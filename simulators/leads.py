"""Simulated lead captures: a seeded, believable stream of B2B manufacturing leads."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker

from domain.leads.messages import CaptureLead
from domain.rules_config import LeadRules

SOURCES = [("website", 35), ("referral", 15), ("trade_show", 15), ("cold_call", 12),
           ("social_media", 13), ("partner", 10)]
SIZES = [("startup", 10), ("small", 25), ("medium", 35), ("large", 20), ("enterprise", 10)]
OTHER_INDUSTRIES = ("Textiles", "Retail", "Logistics", "Construction", "Plastics")


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def lead_captures(seed: int, start: datetime, count: int,
                  spacing: timedelta = timedelta(minutes=7)) -> Iterator[CaptureLead]:
    """`count` CaptureLead commands from `start`, ids and content derived from `seed`."""
    rng = random.Random(seed)
    fake = Faker("en_IN")
    fake.seed_instance(seed)
    industries = LeadRules().target_industries + OTHER_INDUSTRIES
    at = start
    for n in range(count):
        at += spacing * rng.uniform(0.2, 1.8)
        at = at.replace(microsecond=0)
        yield CaptureLead(
            event_id=f"sim-{seed}-lead-{n}",
            aggregate_id=f"LD-{seed}-{n:06d}",
            occurred_at=at,
            producer="simulator",
            company_name=fake.company()[:200],
            lead_source=_pick(rng, SOURCES),  # type: ignore[arg-type]
            contact_first_name=fake.first_name(),
            contact_last_name=fake.last_name(),
            contact_title=rng.choice(["Plant Head", "Purchase Manager", "CTO", "VP Operations"]),
            email=fake.company_email()[:100],
            phone=fake.phone_number()[:50],
            industry=rng.choice(industries),
            company_size=_pick(rng, SIZES),  # type: ignore[arg-type]
            number_of_employees=rng.randint(10, 20000),
            city=fake.city(),
            state=fake.state(),
            country="India",
            postal_code=fake.postcode(),
            product_interest=rng.choice(["CNC machining", "Castings", "Hydraulic pumps",
                                         "Control panels", "Gearboxes"]),
            estimated_deal_value=Decimal(rng.randrange(200_000, 50_000_000, 1000)),
            description=fake.sentence(),
            created_by="web-form",
            actor="web-form",  # the prospect's form, as the API's web-form route names it
        )
