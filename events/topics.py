"""The topic map: which message goes where, keyed by aggregate id.

Inputs (commands, ERP replies, clock ticks) go to one ordered topic, `crm.commands`,
which the core folds in order: that single sequence is what makes every derived event
reproducible. Derived events go to one topic per aggregate family (several event types
per topic, TopicRecordNameStrategy), keyed by aggregate id so an aggregate's events stay
in order. Related aggregates share a topic (tasks, notes and interactions travel with
activities). Downstream systems get their own `erp.*` topics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the archiver and the publisher import this module
    # without the domain (its pydantic models are seconds of imports on a busy machine)
    from domain.kernel.messages import Message

COMMANDS = "crm.commands"
DEAD_LETTER = "crm.dead-letter"
SALES_ORDERS = "erp.sales-orders"
CUSTOMER_MASTERS = "erp.customer-masters"
ERP_REPLIES = "erp.sales-order-replies"
FOREVER = -1
EVENT_PARTITIONS = 3

# Consumer groups. The core's group (also the faust app's id) commits its position on
# crm.commands: how many inputs the rules have folded (events/core_group.py reads and moves
# it). The projector keeps its offsets with its rows in PostgreSQL, under its group's name;
# a rebuild projects under a group of its own and hands its offsets over to the live one.
CORE_GROUP = "crm-core"
PROJECTOR_GROUP = "crm-projector"
REBUILD_GROUP = "crm-rebuild"
API_TRACKER_GROUP = "crm-api-tracker"  # the HTTP API follows the event topics ...
API_PROBE_GROUP = "crm-api-tracker-probe"  # ... and asks their ends (never subscribed)
LIVE_FIGURES_GROUP = "crm-live-figures"  # `crm status --live`, GET /v1/status (ends only)


@dataclass(frozen=True)
class TopicSpec:
    """A topic and how it is created."""

    name: str
    partitions: int
    retention_ms: int = FOREVER
    doc: str = ""


AGGREGATE_TOPICS: dict[str, str] = {
    "lead": "crm.leads",
    "campaign": "crm.campaigns",
    "campaign_member": "crm.campaigns",
    "account": "crm.accounts",
    "contact": "crm.contacts",
    "opportunity": "crm.opportunities",
    "quote": "crm.quotes",
    "quote_approval": "crm.quotes",
    "case": "crm.cases",
    "contract": "crm.contracts",
    "sales_org": "crm.sales-org",
    "sales_rep": "crm.sales-org",
    "territory": "crm.sales-org",
    "quota": "crm.sales-org",
    "forecast": "crm.forecasts",
    "activity": "crm.activities",
    "task": "crm.activities",
    "note": "crm.activities",
    "interaction": "crm.activities",
    "integration": "crm.integration-log",
    "sales_order": SALES_ORDERS,
    "customer_master": CUSTOMER_MASTERS,
    "rejection": "crm.rejections",
}

EVENT_TOPICS: tuple[str, ...] = tuple(dict.fromkeys(AGGREGATE_TOPICS.values()))


def _aggregates_of(topic: str) -> str:
    return ", ".join(a for a, t in AGGREGATE_TOPICS.items() if t == topic)


TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(COMMANDS, 1, doc="Ordered inputs: commands, ERP replies, clock ticks"),
    *(TopicSpec(name, EVENT_PARTITIONS, doc=f"Events of: {_aggregates_of(name)}")
      for name in EVENT_TOPICS),
    TopicSpec(ERP_REPLIES, 1, doc="The ERP's answers, sales orders and customer masters "
              "(bridged into commands)"),
    TopicSpec(DEAD_LETTER, 1, retention_ms=30 * 24 * 3600 * 1000,
              doc="Undecodable or invalid messages with reason and original bytes"),
)


def topic_for_type(cls: type[Message]) -> str:
    """The topic a message class is published to (commands: the one ordered input)."""
    if cls.KIND == "command":
        return COMMANDS
    try:
        return AGGREGATE_TOPICS[cls.AGGREGATE]
    except KeyError:
        raise KeyError(f"no topic for aggregate {cls.AGGREGATE!r} of {cls.__name__}: "
                       "add it to events.topics.AGGREGATE_TOPICS") from None


def topic_for(message: Message) -> str:
    """The topic a message is published to."""
    if message.KIND == "command":
        return COMMANDS
    try:
        return AGGREGATE_TOPICS[message.aggregate_type or message.AGGREGATE]
    except KeyError:
        raise KeyError(f"no topic for aggregate {message.aggregate_type!r}") from None
