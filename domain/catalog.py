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

import domain.accounts.entities
import domain.accounts.health
import domain.accounts.health_inputs
import domain.accounts.lifecycle
import domain.accounts.messages
import domain.accounts.revenue
import domain.accounts.teams
import domain.activities.agenda
import domain.activities.messages
import domain.calendars.business_hours
import domain.calendars.fiscal
import domain.campaigns.ab_test
import domain.campaigns.lifecycle
import domain.campaigns.members
import domain.campaigns.messages
import domain.cases.entities
import domain.cases.lifecycle
import domain.cases.messages
import domain.cases.sla
import domain.contacts.lifecycle
import domain.contacts.messages
import domain.contacts.touches
import domain.contracts.entities
import domain.contracts.lifecycle
import domain.contracts.messages
import domain.contracts.renewals
import domain.erp.integration_log
import domain.erp.master_data
import domain.erp.messages
import domain.erp.sales_orders
import domain.forecasts.calls
import domain.forecasts.index
import domain.forecasts.messages
import domain.interactions.journal
import domain.interactions.messages
import domain.kernel.system
import domain.leads.assignment
import domain.leads.capture
import domain.leads.conversion
import domain.leads.entities
import domain.leads.lifecycle
import domain.leads.matching
import domain.leads.messages
import domain.leads.scoring
import domain.opportunities.deals
import domain.opportunities.entities
import domain.opportunities.figures
import domain.opportunities.messages
import domain.opportunities.stages
import domain.opportunities.terms
import domain.quotes.approvals
import domain.quotes.drafting
import domain.quotes.entities
import domain.quotes.messages
import domain.quotes.status
import domain.quotes.sync
import domain.quotes.terms
import domain.sales_org.messages
import domain.sales_org.org_chart
import domain.sales_org.performance
from domain.kernel.messages import Message, defined_in
from domain.kernel.rulebook import Rulebook

AREAS: tuple[ModuleType, ...] = (
    domain.sales_org.messages, domain.sales_org.org_chart, domain.sales_org.performance,
    domain.calendars.fiscal, domain.calendars.business_hours,
    domain.accounts.messages, domain.accounts.entities, domain.accounts.revenue,
    domain.accounts.lifecycle, domain.accounts.teams,
    domain.contacts.messages, domain.contacts.lifecycle, domain.contacts.touches,
    domain.activities.messages, domain.activities.agenda,
    domain.interactions.messages, domain.interactions.journal,
    domain.campaigns.messages, domain.campaigns.ab_test, domain.campaigns.lifecycle,
    domain.campaigns.members,
    domain.leads.messages, domain.leads.entities, domain.leads.scoring, domain.leads.assignment,
    domain.leads.matching, domain.leads.capture, domain.leads.lifecycle,
    domain.leads.conversion,
    domain.opportunities.messages, domain.opportunities.entities, domain.opportunities.figures,
    domain.opportunities.deals, domain.opportunities.terms, domain.opportunities.stages,
    domain.quotes.messages, domain.quotes.entities, domain.quotes.sync, domain.quotes.terms,
    domain.quotes.approvals, domain.quotes.drafting, domain.quotes.status,
    domain.contracts.messages, domain.contracts.entities, domain.contracts.lifecycle,
    domain.contracts.renewals,
    domain.cases.messages, domain.cases.entities, domain.cases.sla, domain.cases.lifecycle,
    domain.erp.messages, domain.erp.integration_log, domain.erp.master_data,
    domain.erp.sales_orders,
    domain.forecasts.messages, domain.forecasts.index, domain.forecasts.calls,
    domain.accounts.health_inputs, domain.accounts.health,
    domain.kernel.system,
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
