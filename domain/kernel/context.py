"""The Context a rule decides in: state, thresholds, derived ids, the emit journal.

A decide function reads state through the Context, raises `Rejected` or calls
`ctx.emit(...)`; it never mutates state itself. `emit` evolves the state with the
rulebook's evolvers at once (the next rule reads it), `rollback` undoes a refused
command, `commit` runs the indexers and schedules the timers.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.kernel.messages import Event, Message
from domain.kernel.state import CrmState
from domain.rules_config import BusinessRules

if TYPE_CHECKING:  # the rulebook's aliases name the Context: a type-only import
    from domain.kernel.rulebook import Rulebook

_ID_NAMESPACE = uuid.UUID("6f1c2a4e-8d0b-4c55-9a3e-3c1f0e2b7d10")
_NAMESPACE_BYTES = _ID_NAMESPACE.bytes
_MISSING = object()
_VARIANT = {digit: "89ab"[int(digit, 16) & 0x3] for digit in "0123456789abcdef"}


class Rejected(Exception):
    """A command broke a rule; `reason` says which, for the rejection event."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def require(ctx: Context, aggregate: str, aggregate_id: str | None,
            refusal: str = "{aggregate} {id} does not exist") -> Any:
    """The entity `aggregate_id` of an aggregate type, or `Rejected` saying it is missing.

    The one get-or-reject of the domain. `refusal` words the reason, with `{aggregate}`
    (the type, underscores as spaces: "sales rep") and `{id}`; rules check the entity's
    status themselves, each in its own words.
    """
    entity = ctx.get(aggregate, aggregate_id) if aggregate_id is not None else None
    if entity is None:
        raise Rejected(refusal.format(aggregate=aggregate.replace("_", " "), id=aggregate_id))
    return entity


def derive_id(*parts: str) -> str:
    """A deterministic UUID from the causing message and a tag: replays give the same id.

    Exactly `str(uuid.uuid5(_ID_NAMESPACE, name))` (a test holds them equal), computed
    without building a UUID object, which is cheaper on a path taken for every event.
    """
    h = hashlib.sha1(_NAMESPACE_BYTES + "/".join(parts).encode()).hexdigest()
    # version 5 is the high nibble of byte 6 (hex digit 12); the RFC 4122 variant sets the
    # top two bits of byte 8 (hex digit 16) to 10: set on the hex digits, no byte array
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


class Context:
    """What a rule sees while deciding one input: state, rules and the emit journal.

    `book` is the rulebook the engine runs: `emit` evolves and `commit` indexes with it.
    """

    def __init__(self, state: CrmState, cause: Message, rules: BusinessRules, scope: str = "",
                 *, book: Rulebook) -> None:
        self.state = state
        self.book = book
        self.cause = cause
        self.rules = rules
        self.scope = scope
        self.events: list[Event] = []
        self._undo: list[tuple[dict[Any, Any], Any, Any]] = []
        self._timers: list[tuple[datetime, str, str]] = []

    @property
    def now(self) -> datetime:
        """Event time of the cause: the only clock rules may read."""
        return self.cause.occurred_at

    def get(self, aggregate_type: str, aggregate_id: str) -> Any | None:
        """Current entity (including what this context has emitted so far)."""
        return self.state.get(aggregate_type, aggregate_id)

    def new_id(self, prefix: str, tag: str = "") -> str:
        """A new aggregate id derived from the cause (e.g. `ACC-<uuid>`)."""
        return f"{prefix}-{derive_id(self.cause.event_id, self.scope, prefix, tag)[:18]}"

    def next_number(self, prefix: str, width: int = 6) -> str:
        """The next human-readable number in a sequence, e.g. `OPP-000042`."""
        value = self.state.counters.get(prefix, 0) + 1
        self._set(self.state.counters, prefix, value)
        return f"{prefix}-{value:0{width}d}"

    def bump(self, counter: str) -> int:
        """Increment a named counter (round-robin cursors) and return its previous value."""
        value = self.state.counters.get(counter, 0)
        self._set(self.state.counters, counter, value + 1)
        return value

    def schedule(self, due_at: datetime, kind: str, aggregate_id: str) -> None:
        """Run timer rule `kind` for `aggregate_id` on the first tick at or after `due_at`."""
        self._timers.append((due_at, kind, aggregate_id))

    def emit(self, event_type: type[Event], aggregate_id: str, **payload: Any) -> Event:
        """Create the next event of an aggregate and evolve the state with it."""
        key = (event_type.AGGREGATE, aggregate_id)
        version = self.state.versions.get(key, 0) + 1
        cause = self.cause
        event = event_type(
            event_id=derive_id(cause.event_id, self.scope, str(len(self.events))),
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=payload.pop("occurred_at", cause.occurred_at),
            causation_id=cause.event_id,
            correlation_id=cause.correlation_id or cause.event_id,
            actor=cause.actor,
            **payload,
        )
        self._set(self.state.versions, key, version)
        evolve = self.book.evolvers.get(event.event_type)
        if evolve is not None:
            store = self.state.store(event.AGGREGATE)
            self._set(store, aggregate_id, evolve(store.get(aggregate_id), event))
        self.events.append(event)
        return event

    def _set(self, target: dict[Any, Any], key: Any, value: Any) -> None:
        self._undo.append((target, key, target.get(key, _MISSING)))
        target[key] = value

    def rollback(self) -> None:
        """Undo everything emitted so far (the command was rejected)."""
        for target, key, old in reversed(self._undo):
            if old is _MISSING:
                target.pop(key, None)
            else:
                target[key] = old
        self.events.clear()
        self._timers.clear()

    def commit(self) -> list[Event]:
        """Update views and timers; return the events."""
        for event in self.events:
            for indexer in self.book.indexers.get(event.event_type, ()):
                indexer(self.state, event)
        for due_at, kind, aggregate_id in self._timers:
            self.state.push_timer(due_at, kind, aggregate_id)
        return self.events
