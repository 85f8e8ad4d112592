"""Imports every projection module so their projections are registered."""

from projectors import (  # noqa: F401
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
