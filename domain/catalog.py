"""The domain's areas, listed: the one place that says which rules and messages exist.

Nothing registers by being imported. `rulebook()` collects the rules marked in these
modules and `message_types()` the messages they define; the composition root
(`crm.bootstrap`), the processors and the tests call them. Add a new area to `AREAS`.

The order of `AREAS` is behaviour: tick rules run, and the indexers of one event are
called, in the order their modules appear here (then in the order each module defines
them), and derived ids and views depend on that order. Today's order is the one the
modules were first loaded in when they registered themselves on import: master data's
release before the forecast snapshot before the health score; of the indexers of
`AccountCreated`, accounts' before quote terms' before health's.
"""

from __future__ import annotations

from functools import cache
from types import ModuleType

from domain import (
    account_messages,
    account_teams,
    accounts,
    activities,
    business_hours,
    campaign_ab,
    campaign_members,
    campaign_messages,
    campaigns,
    case_lifecycle,
    case_sla,
    cases,
    contact_touches,
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
    integration_log,
    interactions,
    lead_conversion,
    lead_lifecycle,
    lead_matching,
    leads,
    master_data,
    opportunities,
    opportunity_messages,
    opportunity_stages,
    quote_approvals,
    quote_messages,
    quote_status,
    quote_sync,
    quote_terms,
    quotes,
    sales_org,
    sales_org_messages,
    system,
)
from domain.core import Rulebook
from domain.messages import Message, defined_in

AREAS: tuple[ModuleType, ...] = (
    account_messages, contracts, fiscal_calendar, opportunity_messages, opportunities,
    opportunity_stages, accounts, sales_org_messages, sales_org, account_teams, contacts,
    contact_touches, activities, campaign_ab, campaign_messages, campaigns,
    campaign_members, business_hours, cases, case_sla, case_lifecycle, contract_renewals,
    erp_messages, quote_messages, quote_sync, quote_terms, quotes, integration_log,
    master_data, erp, forecast_index, forecast_messages, forecasts, interactions, health,
    leads, lead_conversion, lead_lifecycle, lead_matching, quote_approvals, quote_status,
    system,
)
"""Every module that defines messages or rules, in the order their rules run."""


@cache
def rulebook() -> Rulebook:
    """The rules of every area: what the processors run unless given another book."""
    return Rulebook.collect(AREAS)


def message_types() -> dict[str, type[Message]]:
    """Every concrete message class of the areas, by event_type (the Avro contract)."""
    return dict(_message_types())


@cache
def _message_types() -> dict[str, type[Message]]:
    return defined_in(AREAS)
