"""Projections as pure functions: an event in, row upserts out.

`@projects(EventType)` registers `fn(event) -> list[Upsert]`. The batch writer
(`projectors.writer`) merges the upserts of many events per row and writes them with
one multi-row statement per table, guarded by `aggregate_version` so a redelivered
event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from domain.messages import Event

Projector = Callable[[Any], list["Upsert"]]
_PROJECTORS: dict[str, list[Projector]] = {}


@dataclass(frozen=True)
class Upsert:
    """Set `values` on the row of `table` whose primary key is `key`."""

    table: str
    key: tuple[tuple[str, Any], ...]
    values: dict[str, Any]
    version: int


def upsert(table: str, event: Event, key: dict[str, Any], **values: Any) -> Upsert:
    """An upsert stamped with the event's aggregate version (the idempotency guard)."""
    return Upsert(table, tuple(key.items()), values, event.aggregate_version)


def projects(*types: type[Event]) -> Callable[[Projector], Projector]:
    """Register a projection function for event types."""

    def register(fn: Projector) -> Projector:
        for t in types:
            _PROJECTORS.setdefault(t.__name__, []).append(fn)
        return fn

    return register


def rows_for(events: Iterable[Event]) -> list[Upsert]:
    """All upserts of a batch of events, in event order."""
    import projectors.catalog  # noqa: F401  (registers every projection)

    out: list[Upsert] = []
    for event in events:
        for fn in _PROJECTORS.get(event.event_type, ()):
            out.extend(fn(event))
    return out


def merge(upserts: Iterable[Upsert]) -> dict[str, list[Upsert]]:
    """Fold the upserts of one batch per row: later values win, highest version kept.

    Rows of one table are always written by one aggregate's events, which arrive in
    order; so folding a batch per row gives the same result as applying each event.
    """
    rows: dict[tuple[str, tuple[tuple[str, Any], ...]], Upsert] = {}
    for u in upserts:
        slot = (u.table, u.key)
        prev = rows.get(slot)
        if prev is None:
            rows[slot] = u
        else:
            rows[slot] = Upsert(
                u.table, u.key, {**prev.values, **u.values}, max(prev.version, u.version)
            )
    by_table: dict[str, list[Upsert]] = {}
    for (table, _), u in rows.items():
        by_table.setdefault(table, []).append(u)
    return by_table
