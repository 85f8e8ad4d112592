"""Composition root: settings in, adapters out. Nothing connects at import time."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

import localstack
from crm.config import Settings, load_settings
from domain import catalog
from domain.kernel.rulebook import Rulebook
from domain.rules_config import DEFAULT_RULES, BusinessRules
from events.codec import AvroCodec
from processors.core import CoreProcessor
from producers.kafka import MessageProducer

if TYPE_CHECKING:
    from projectors.runner import Projector


@dataclass
class Services:
    """The running stack and the adapters built on it."""

    settings: Settings
    stack: localstack.StackInfo

    @property
    def database_url(self) -> str:
        return self.stack.database_url

    @property
    def bootstrap(self) -> str:
        return self.stack.kafka_bootstrap

    @property
    def kafka_extra(self) -> dict[str, Any]:
        """Security settings for every Kafka client (empty for the embedded broker)."""
        return self.settings.kafka_security.librdkafka()

    @cached_property
    def codec(self) -> AvroCodec:
        if self.settings.schema_registry_url:
            from events.registry import ConfluentSchemaIds

            return AvroCodec(ConfluentSchemaIds(self.settings.schema_registry_url))
        return AvroCodec()

    @cached_property
    def rulebook(self) -> Rulebook:
        """The domain's rules, collected from the catalog of areas (nothing self-registers)."""
        return catalog.rulebook()

    @property
    def rules(self) -> BusinessRules:
        """The business rules the core runs with (thresholds, SLAs, the fiscal calendar):
        domain/rules_config.py is their one configuration. Reports that need a rule (the
        trends' fiscal quarter) take it from here, so they agree with the core."""
        return DEFAULT_RULES

    def processor(self) -> CoreProcessor:
        """A new core processor running this rulebook and these rules with this codec."""
        return CoreProcessor(self.rules, codec=self.codec, book=self.rulebook)

    @cached_property
    def engine(self) -> Engine:
        from projectors.db import make_engine

        return make_engine(self.database_url)

    @cached_property
    def projector_engine(self) -> Engine:
        """The projectors' engine: no pre-ping, which cost a round trip per batch (a live
        batch is a few events, so its round trips are most of its cost); a connection
        the server dropped fails the batch's transaction, which is invalidated and
        retried on a new one (projectors/commit.py)."""
        from projectors.db import make_engine

        return make_engine(self.database_url, pre_ping=False)

    def projector(self, fetch: dict[str, Any] | None = None,
                  trusted: bool = False) -> Projector:
        """A new projector of the event topics into this stack's read tables; `fetch`:
        settings of its consumer only (e.g. the backfill's larger fetches); `trusted`:
        our own core's log, decoded without a second validation (the backfill's)."""
        from projectors.runner import Projector

        return Projector(self.projector_engine, self.bootstrap, codec=self.codec,
                         extra=self.kafka_extra, fetch=fetch, trusted=trusted)

    def producer(self) -> MessageProducer:
        """A new producer (use it as a context manager)."""
        return MessageProducer(self.bootstrap, self.codec, self.kafka_extra)

    def init(self) -> list[str]:
        """Create tables (migrations, roles) and topics; idempotent. Returns new topics."""
        from events.admin import ensure_topics
        from projectors.db import ensure_roles, migrate

        migrate(self.database_url)
        ensure_roles(self.engine)
        return ensure_topics(self.bootstrap, self.kafka_extra)


def bootstrap(settings: Settings | None = None, start: bool = True) -> Services:
    """Start (or find) the stack and return the services on it."""
    settings = settings or load_settings()
    if start:
        from localstack import durability

        stack = localstack.up(settings)
        durability.load(settings, stack)  # a restarted embedded broker gets its log back
    else:
        found = localstack.status(settings)
        if found is None:
            raise RuntimeError("the local stack is not running: run `crm up` first")
        stack = found
    return Services(settings, stack)
