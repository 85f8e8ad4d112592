"""Imports every rule module so their messages and rules are registered.

Add a new area here; nothing else needs to know the list.
"""

from domain import (  # noqa: F401
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
    system,
)
