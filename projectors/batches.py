"""Cutting a consumed batch for the writer, and telling a lost database from a bad row.

`in_runs` keeps each part's per-row fold exact when redelivered events are mixed in;
`is_transient_db_error` decides whether a failed batch is retried (projectors/runner.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg2
from sqlalchemy import exc as sa_exc

from domain.kernel.messages import Event


def in_runs(events: Sequence[Event]) -> list[list[Event]]:
    """Split a batch so that in each part every aggregate's events are one run of
    consecutive versions; the parts are applied in order.

    The writer folds a part's events per row, which equals applying them one by one as
    long as each aggregate's events in it follow each other. A redelivered event (a
    producer retry, a worker re-running inputs after a crash, a re-driven dead letter)
    can break that: an old copy ahead of newer events would lend the fold its stale
    values. Starting a new part at every break keeps each fold exact, and the version
    guard then skips the stale copy. Without duplicates a batch is a single part.
    """
    parts: list[list[Event]] = [[]]
    last: dict[tuple[str, str], tuple[int, int]] = {}  # aggregate -> (version, part)
    for event in events:
        version = event.aggregate_version
        key = (event.aggregate_type, event.aggregate_id)
        seen = last.get(key)
        if seen is None or version == 0:
            index = 0 if seen is None else seen[1]
        else:
            index = seen[1] if version == seen[0] + 1 else seen[1] + 1
        if version:
            last[key] = (version, index)
        if index == len(parts):
            parts.append([])
        parts[index].append(event)
    return [part for part in parts if part]


def is_transient_db_error(exc: BaseException) -> bool:
    """True for a lost or refused PostgreSQL connection (worth a retry), not a bad row."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig if exc.orig is not None else exc
    return isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError)
