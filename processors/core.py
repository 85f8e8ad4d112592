"""The processor: bytes from `crm.commands` in, encoded derived events out.

Shared by both runtimes (faust workers and in-process), so they cannot differ: decode,
call the domain engine, encode. Undecodable input becomes a dead letter.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain import catalog
from domain.kernel.engine import handle
from domain.kernel.messages import Event, Message
from domain.kernel.rulebook import Rulebook
from domain.kernel.state import CrmState
from domain.rules_config import DEFAULT_RULES, BusinessRules
from events.codec import AvroCodec, DecodeError
from events.dlq import DeadLetter
from events.topics import COMMANDS, topic_for


@dataclass(frozen=True)
class Outgoing:
    """One encoded record to publish."""

    topic: str
    key: str
    value: bytes


class CoreProcessor:
    """Holds the CRM state and folds inputs into it."""

    def __init__(self, rules: BusinessRules = DEFAULT_RULES, codec: AvroCodec | None = None,
                 book: Rulebook | None = None) -> None:
        """`book` is the rules to run; default: every area's (`domain.catalog`)."""
        self.state = CrmState()
        self.rules = rules
        self.book = catalog.rulebook() if book is None else book
        self.codec = codec or AvroCodec()
        self.processed = 0

    def process(self, message: Message) -> list[Event]:
        """Derived events of one decoded input."""
        self.processed += 1
        return handle(self.state, message, self.rules, book=self.book)

    def process_bytes(self, value: bytes, partition: int = 0,
                      offset: int = -1) -> list[Outgoing] | DeadLetter:
        """Decode one input and return its derived events encoded, or a dead letter."""
        try:
            message = self.codec.decode(value)
        except DecodeError as exc:
            return DeadLetter(value, str(exc), COMMANDS, partition, offset)
        return [self.encode(e) for e in self.process(message)]

    def encode(self, event: Event) -> Outgoing:
        """An event as a record for its topic, keyed by aggregate id."""
        return Outgoing(topic_for(event), event.aggregate_id, self.codec.encode(event))
