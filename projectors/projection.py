"""Projections as pure functions: an event in, row upserts (and deletes) out.

`@projects(EventType)` marks `fn(event) -> list[Upsert | Delete]` as the projection of
that event type; nothing registers by being imported: `collect` builds the map from the
modules it is given (`projectors.catalog.MODULES`, the explicit list). The batch writer
(`projectors.writer`) merges the writes of many events per row and writes them with
one multi-row statement per table, guarded by `aggregate_version` so a redelivered
event changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from domain.kernel.messages import Event

Projector = Callable[[Any], Sequence["Upsert | Delete"]]
ProjectionMap = Mapping[str, tuple[Projector, ...]]
"""The projections of each event type, by event_type, in the order they run."""
_MARK = "__projects__"


@dataclass(frozen=True)
class Upsert:
    """Set `values` on the row of `table` whose primary key is `key`."""

    table: str
    key: tuple[tuple[str, Any], ...]
    values: dict[str, Any]
    version: int


@dataclass(frozen=True)
class Delete:
    """Remove the row of `table` whose primary key is `key`, unless it is newer."""

    table: str
    key: tuple[tuple[str, Any], ...]
    version: int


Write = Upsert | Delete
"""One row write of a projection."""


def upsert(table: str, event: Event, key: dict[str, Any], **values: Any) -> Upsert:
    """An upsert stamped with the event's aggregate version (the idempotency guard)."""
    return Upsert(table, tuple(key.items()), values, event.aggregate_version)


def delete(table: str, event: Event, key: dict[str, Any]) -> Delete:
    """A delete stamped with the event's aggregate version: it removes the stored row only
    when that row's version is not newer (a redelivered delete leaves a re-created row).

    No tombstone is kept: an old event that created the row, delivered again after the
    delete in a later batch, would create it again (`runner.in_runs` only orders the
    copies within one batch). Only quote sync deletes, and its rows are rewritten by the
    next sync of the deal.
    """
    return Delete(table, tuple(key.items()), event.aggregate_version)


def projects(*types: type[Event]) -> Callable[[Projector], Projector]:
    """Mark a function as the projection of these event types (`collect` finds it)."""

    def mark(fn: Projector) -> Projector:
        setattr(fn, _MARK, getattr(fn, _MARK, ()) + tuple(t.__name__ for t in types))
        return fn

    return mark


def collect(modules: Iterable[ModuleType]) -> dict[str, tuple[Projector, ...]]:
    """The projections the modules define, by event type, in the order given (modules in
    order, then functions in the order each module defines them)."""
    found: dict[str, list[Projector]] = {}
    for module in modules:
        for value in vars(module).values():
            if callable(value) and getattr(value, "__module__", None) == module.__name__:
                for event_type in getattr(value, _MARK, ()):
                    found.setdefault(event_type, []).append(value)
    return {event_type: tuple(fns) for event_type, fns in found.items()}


def writes_by_event(events: Iterable[Event], projections: ProjectionMap | None = None,
                    ) -> list[tuple[Event, list[Write]]]:
    """Each event with the writes its projections make, in event order (`projections`:
    the catalog's unless given)."""
    if projections is None:
        from projectors.catalog import projections as catalog_projections

        projections = catalog_projections()
    out: list[tuple[Event, list[Write]]] = []
    for event in events:
        writes: list[Write] = []
        for fn in projections.get(event.event_type, ()):
            writes.extend(fn(event))
        out.append((event, writes))
    return out


def rows_for(events: Iterable[Event]) -> list[Write]:
    """All writes of a batch of events, in event order."""
    return [w for _, writes in writes_by_event(events) for w in writes]


class Merged(dict[str, list[Upsert]]):
    """A batch folded per row: the upserts that remain, by table (a dict, so callers read
    the rows a batch leaves), and `deletes`, by table, applied before them."""

    def __init__(self) -> None:
        super().__init__()
        self.deletes: dict[str, list[Delete]] = {}


def merge(writes: Iterable[Write]) -> Merged:
    """Fold the writes of one batch per row, in order: later values win, highest version
    kept; a delete drops the upserts before it (the row is deleted, at the highest
    version seen), and an upsert after a delete starts the row afresh.

    Rows of one table are always written by one aggregate's events, which arrive in
    order; so folding a batch per row gives the same result as applying each event:
    per row at most one delete, then at most one upsert.
    """
    rows: dict[tuple[str, tuple[tuple[str, Any], ...]], tuple[Delete | None, Upsert | None]] = {}
    for w in writes:
        slot = (w.table, w.key)
        gone, prev = rows.get(slot, (None, None))
        if isinstance(w, Delete):
            versions = [w.version] + [x.version for x in (gone, prev) if x is not None]
            rows[slot] = (Delete(w.table, w.key, max(versions)), None)
        elif prev is None:
            rows[slot] = (gone, w)
        else:
            rows[slot] = (gone, Upsert(w.table, w.key, {**prev.values, **w.values},
                                       max(prev.version, w.version)))
    merged = Merged()
    for (table, _), (gone, u) in rows.items():
        if gone is not None:
            merged.deletes.setdefault(table, []).append(gone)
        if u is not None:
            merged.setdefault(table, []).append(u)
    return merged
