"""Every projection module, listed explicitly: the map of projections is built from this
list (`projections`), never by importing a module. Add a new module to `MODULES`."""

from __future__ import annotations

from functools import cache
from types import ModuleType

from projectors import (
    accounts,
    activities,
    campaigns,
    cases,
    contacts,
    contracts,
    erp,
    forecasts,
    health,
    leads,
    opportunities,
    quotes,
    sales_org,
)
from projectors.projection import Projector, collect

MODULES: tuple[ModuleType, ...] = (
    accounts, activities, campaigns, cases, contacts, contracts, erp, forecasts, health,
    leads, opportunities, quotes, sales_org,
)
"""The modules that define projections, in the order their projections of one event run."""


@cache
def projections() -> dict[str, tuple[Projector, ...]]:
    """The projections of every module, by event type: what the writers use unless given
    another map."""
    return collect(MODULES)
