"""Accepting a command: idempotency claim, then onto `crm.commands` with the core's producer.

Command ids: with an `Idempotency-Key` the id is derived from the key and the caller's
key fingerprint (`derive_id("api", fingerprint, key)`), so a retry names the same command;
the claim in `crm_api.commands` makes sure only the first request sends it, and a retry
of a request whose send never got acknowledged sends the stored command again (the core
ignores a second copy of an input id, so this is safe). Without a key each request is a
new command with a fresh UUID.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy.engine import Engine

from api import store
from api.bodies import command_from
from api.tracker import Tracker
from domain.kernel.context import derive_id
from domain.kernel.messages import Command
from producers.kafka import DeliveryFailed, MessageProducer

SEND_TIMEOUT = 15.0  # seconds to wait for the broker's acknowledgement


class KeyReused(ValueError):
    """An Idempotency-Key already used for a different request."""


class NotSent(RuntimeError):
    """The broker did not acknowledge the command in time; nothing is claimed."""


@dataclass(frozen=True)
class Accepted:
    """What the caller gets back."""

    command_id: str
    aggregate_id: str
    replayed: bool


def request_hash(command_type: str, body: BaseModel) -> str:
    """Fingerprint of a request, to tell a retry from a reused key."""
    return hashlib.sha256(f"{command_type}\n{body.model_dump_json()}".encode()).hexdigest()


class Gateway:
    """Claims, sends and tracks commands; one producer shared by all requests."""

    def __init__(self, engine: Engine, producer: MessageProducer, tracker: Tracker) -> None:
        self.engine = engine
        self._producer = producer
        self._tracker = tracker
        self._lock = threading.Lock()

    def submit(self, cls: type[Command], body: BaseModel, scope: str,
               idempotency_key: str | None, actor: str | None = None) -> Accepted:
        """Accept one command submitted by `actor` (raises ValidationError, KeyReused or
        NotSent)."""
        command_id = (derive_id("api", scope, idempotency_key) if idempotency_key
                      else str(uuid.uuid4()))
        command = command_from(cls, body, command_id, datetime.now(UTC), actor)
        wanted = store.CommandRecord(
            command_id=command_id, command_type=cls.__name__,
            aggregate_id=command.aggregate_id, request_hash=request_hash(cls.__name__, body),
            command=command.model_dump_json())
        stored, new = store.claim(self.engine, wanted)
        if stored.request_hash != wanted.request_hash:
            raise KeyReused("this Idempotency-Key was used for a different request")
        if not stored.sent:
            self._send(cls.model_validate_json(stored.command), forget_on_failure=new)
        return Accepted(command_id, stored.aggregate_id, replayed=not new)

    def _send(self, command: Command, forget_on_failure: bool) -> None:
        self._tracker.watch(command.event_id, command.aggregate_id)
        try:
            with self._lock:  # MessageProducer keeps per-send bookkeeping: one at a time
                self._producer.send(command)
                self._producer.flush(SEND_TIMEOUT)
        except DeliveryFailed as exc:
            if forget_on_failure:
                store.forget(self.engine, command.event_id)
            raise NotSent(str(exc)) from None
        store.mark_sent(self.engine, command.event_id)

    def close(self) -> None:
        """Flush whatever is still queued."""
        with self._lock:
            self._producer.flush(SEND_TIMEOUT)
