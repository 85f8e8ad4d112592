"""Who sends an enquiry: new companies, companies that enquired before, existing customers.

The market is the catalogue's: a company's state, industry and size are drawn with the
weights in `simulators.catalog` (STATES, INDUSTRIES, SIZES), the same weights the sales
organisation sizes its territories, headcount and quotas on (`territory_demand`). Rates
and their sources: docs/simulation.md "Leads".
"""

from __future__ import annotations

import random
from collections import Counter
from itertools import accumulate

from simulators.catalog import EMPLOYEES, INDUSTRIES, PLACE_WORDS, SIZES, STATES, SUFFIXES
from simulators.world import Company, World, pick, slug

CUSTOMER_SHARE = 0.15  # enquiries from existing customers (B2B norm 10-25 %)
REPEAT_SHARE = 0.18  # prospect enquiries from a company that has enquired before
SAME_PERSON = 0.2  # a repeat enquiry from the same person (else a colleague)
KNOWN_CONTACT = 0.6  # a customer's enquiry from a contact we already hold
# the installed base's sizes (simulators.world builds customers bigger than prospects)
INSTALLED_SIZES = (("small", 10), ("medium", 35), ("large", 35), ("enterprise", 20))
_STATES = tuple(s for s, _, _ in STATES)
_STATE_CUM = tuple(accumulate(w for _, w, _ in STATES))
_CITIES = {s: c for s, _, c in STATES}
_INDUSTRIES = tuple(INDUSTRIES)
_INDUSTRY_CUM = tuple(accumulate(w for w, _ in INDUSTRIES.values()))


def new_company(world: World, rng: random.Random, industries: tuple[str, ...] = (),
                states: tuple[str, ...] = (), size: str | None = None) -> Company:
    """A company not seen before, drawn from the market's weights (within `industries`,
    `states` and `size` when given), registered with the world so every desk finds it."""
    industry = rng.choices(_INDUSTRIES, cum_weights=_INDUSTRY_CUM)[0]
    if industries and industry not in industries:
        industry = rng.choices(industries, [INDUSTRIES[i][0] for i in industries])[0]
    state = rng.choices(_STATES, cum_weights=_STATE_CUM)[0]
    if states and state not in states:
        state = rng.choices(states, [dict((s, w) for s, w, _ in STATES)[s] for s in states])[0]
    words = INDUSTRIES[industry][1]
    while True:  # a fresh name; the name space (~200k) is far larger than any history's
        head = rng.choice(world.last_names) if rng.random() < 0.6 else rng.choice(PLACE_WORDS)
        word = rng.choice(words)
        name = f"{head} {word} {pick(rng, SUFFIXES)}"[:200]
        if world.company(name) is None:
            break
    size = size or pick(rng, SIZES)
    low, high = EMPLOYEES[size]
    domain = f"{slug(head)}{slug(word)[:8]}.{rng.choice(('in', 'co.in', 'com'))}"
    group = rng.randrange(len(world.groups)) if rng.random() < 0.05 else -1
    company = Company(name, industry, size, rng.randint(low, high),
                      rng.choice(_CITIES[state]), state, domain, group)
    world.by_name[" ".join(name.split()).casefold()] = company
    return company


def territory_demand() -> dict[str, float]:
    """Expected share of enquiries per territory code, from the market's weights.

    Every (state, city, industry, size) cell of the catalogue is placed in the territory
    the core would assign it to, sizes weighted as enquiries come (prospects' sizes, and
    CUSTOMER_SHARE of the installed base's); headcount and quotas follow it.
    """
    from simulators.org import territory_code  # org imports this module's results

    demand: Counter[str] = Counter()
    prospects, installed = sum(w for _, w in SIZES), sum(w for _, w in INSTALLED_SIZES)
    mix = {size: (1 - CUSTOMER_SHARE) * w / prospects for size, w in SIZES}
    for size, w in INSTALLED_SIZES:
        mix[size] += CUSTOMER_SHARE * w / installed
    industries = sum(w for w, _ in INDUSTRIES.values())
    states = sum(w for _, w, _ in STATES)
    for state, weight, cities in STATES:
        for city in cities:
            for industry, (iw, _) in INDUSTRIES.items():
                for size, sw in mix.items():
                    code = territory_code(Company("", industry, size, 0, city, state, "", -1))
                    if code is not None:
                        demand[code] += weight / len(cities) * iw * sw / states / industries
    total = sum(demand.values())
    return {code: share / total for code, share in sorted(demand.items())}
