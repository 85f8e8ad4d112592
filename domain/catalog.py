"""Imports every rule module so their messages and rules are registered.

Add a new area here; nothing else needs to know the list.
"""

from domain import (  # noqa: F401
    account_teams,
    accounts,
    activities,
    campaign_members,
    campaigns,
    case_lifecycle,
    case_sla,
    cases,
    contacts,
    contract_renewals,
    contracts,
    erp,
    erp_messages,
    fiscal_calendar,
    forecast_index,
    forecast_messages,
    forecasts,
    health,
    interactions,
    lead_conversion,
    lead_lifecycle,
    lead_matching,
    leads,
    master_data,
    opportunities,
    opportunity_stages,
    quote_approvals,
    quote_messages,
    quote_status,
    quotes,
    sales_org,
    system,
)
