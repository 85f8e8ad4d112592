"""The generated world: people, prospect companies and business groups, from one seed.

Faker (locale en_IN) is used only while building the pools, from an instance seeded with
the world's seed and then dropped, so a `World` holds plain tuples: it pickles, and the
same seed gives the same world on every machine.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate

from faker import Faker

from simulators.catalog import (
    EMPLOYEES,
    INDUSTRIES,
    PLACE_WORDS,
    SIZE_DEAL_FACTOR,
    SIZES,
    STATES,
    SUFFIXES,
)

MIN_DEAL, MAX_DEAL = 200_000, 50_000_000  # ₹2 lakh .. ₹5 crore
MEDIAN_DEAL, DEAL_SIGMA = 1_600_000, 1.0


@dataclass(frozen=True)
class Company:
    """A company that may buy from us."""

    name: str
    industry: str
    size: str
    employees: int
    city: str
    state: str
    domain: str
    group: int  # index into World.groups, -1 for none


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    """One value from (value, weight) pairs."""
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def slug(text: str) -> str:
    """Lower-case letters and digits only (for e-mail addresses and domains)."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


class World:
    """People, companies and groups of the simulated market."""

    def __init__(self, seed: int, installed: int = 350, prospects: int = 5000) -> None:
        fake = Faker("en_IN")
        fake.seed_instance(seed)
        rng = random.Random(f"world/{seed}")
        self.first_names = tuple(dict.fromkeys(fake.first_name() for _ in range(1500)))
        self.last_names = tuple(dict.fromkeys(fake.last_name() for _ in range(900)))
        self.streets = tuple(fake.street_name() for _ in range(300))
        self.postcodes = tuple(fake.postcode() for _ in range(300))
        self.groups = tuple(dict.fromkeys(f"{fake.last_name()} Group" for _ in range(80)))[:60]
        self.states = tuple(s for s, _, _ in STATES)
        self.state_weights = tuple(accumulate(w for _, w, _ in STATES))
        self.cities = {s: c for s, _, c in STATES}
        self.industries = tuple(INDUSTRIES)
        self.industry_weights = tuple(accumulate(w for w, _ in INDUSTRIES.values()))
        seen: set[str] = set()
        big = (("medium", 35), ("large", 35), ("enterprise", 20), ("small", 10))
        self.installed = tuple(self._company(rng, seen, big) for _ in range(installed))
        self.prospects = tuple(self._company(rng, seen, SIZES) for _ in range(prospects))
        # Popular prospects send several enquiries: a skewed choice (rank ** -0.6).
        self.prospect_weights = tuple(accumulate((n + 1) ** -0.6 for n in range(prospects)))
        self.by_name = {c.name.casefold(): c for c in (*self.installed, *self.prospects)}

    def _company(self, rng: random.Random, seen: set[str],
                 sizes: tuple[tuple[str, float], ...]) -> Company:
        industry = rng.choices(self.industries, cum_weights=self.industry_weights)[0]
        words = INDUSTRIES[industry][1]
        while True:
            head = rng.choice(self.last_names) if rng.random() < 0.6 else rng.choice(PLACE_WORDS)
            suffix = pick(rng, SUFFIXES)
            name = f"{head} {rng.choice(words)} {suffix}".strip()
            if name.casefold() not in seen:
                seen.add(name.casefold())
                break
        size = pick(rng, sizes)
        low, high = EMPLOYEES[size]
        state = rng.choices(self.states, cum_weights=self.state_weights)[0]
        domain = f"{slug(head)}{slug(words[0])[:8]}.{rng.choice(('in', 'co.in', 'com'))}"
        group = rng.randrange(len(self.groups)) if rng.random() < 0.18 else -1
        return Company(name[:200], industry, size, rng.randint(low, high),
                       rng.choice(self.cities[state]), state, domain, group)

    def prospect(self, rng: random.Random) -> Company:
        """A prospect company, popular ones more often."""
        return rng.choices(self.prospects, cum_weights=self.prospect_weights)[0]

    def company(self, name: str) -> Company | None:
        """The company with this name (case-insensitive), if it is one of ours."""
        return self.by_name.get(" ".join(name.split()).casefold())

    def person(self, rng: random.Random) -> tuple[str, str]:
        """(first name, last name)."""
        return rng.choice(self.first_names), rng.choice(self.last_names)

    def address(self, rng: random.Random) -> tuple[str, str]:
        """(street line, postal code)."""
        return (f"{rng.randint(1, 420)}, {rng.choice(self.streets)}",
                rng.choice(self.postcodes))


def email(first: str, last: str, domain: str) -> str:
    """first.last@domain, at most 100 characters."""
    return f"{slug(first)}.{slug(last)}@{domain}"[:100]


def phone(rng: random.Random) -> str:
    """An Indian mobile number, +91 and ten digits."""
    return f"+91 {rng.choice('6789')}{rng.randrange(10 ** 8, 10 ** 9)}"


def deal_value(rng: random.Random, size: str | None) -> Decimal:
    """A deal size in INR: log-normal (median ₹16 lakh) scaled by company size, clipped."""
    raw = MEDIAN_DEAL * math.exp(rng.gauss(0.0, DEAL_SIGMA)) * SIZE_DEAL_FACTOR.get(size or "",
                                                                                   1.0)
    return Decimal(int(min(MAX_DEAL, max(MIN_DEAL, raw)) // 1000 * 1000))
