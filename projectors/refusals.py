"""Events the read model refuses: find the one that fails a batch, so it can be set aside.

A record produced straight onto an event topic (not through our core) can decode and
still carry a value PostgreSQL will not store: an `integer` beyond its range, a NUL
character in text, a number that is already another row's unique key. The batch holding
it fails with a data error (SQLSTATE class 22) or an integrity error (class 23) however
often it is retried; before this, the projector stopped on it for good.

`apply_setting_aside` writes the batch again in one transaction, halving it under
savepoints down to the refused events; the runner dead-letters those (reason and
original bytes) and commits the rest with the offsets of the whole batch. Errors of other
kinds (a lost connection, a bug in our SQL) are not refusals: the batch stays unwritten,
as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import psycopg2
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from domain.kernel.messages import Event

REFUSAL = "the read model refused "
"""How the reason of a dead letter set aside by the projector begins."""


def refused_by_the_read_model(exc: BaseException) -> bool:
    """True for an error caused by the values written (SQLSTATE class 22 or 23)."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    return isinstance(exc, psycopg2.DataError | psycopg2.IntegrityError)


def apply_setting_aside(conn: Any, events: Sequence[Event],
                        apply: Callable[[Sequence[Event]], int],
                        ) -> tuple[int, list[tuple[int, BaseException]]]:
    """Apply `events` in order in the caller's transaction, leaving out each one the read
    model refuses; returns (rows, [(index, error) of each refused event]).

    Halves are applied under a savepoint; a refused half is rolled back to it and halved
    again, down to the event. Applying consecutive parts in turn equals applying the
    whole (each part's fold is exact, `in_runs`), so the result is the batch without the
    refused events. One refused event costs about two applications of the batch.
    Errors other than refusals are raised (the caller rolls the transaction back).
    """
    refused: list[tuple[int, BaseException]] = []
    rows = 0

    def run(statement: str) -> None:
        with conn.cursor() as cur:
            cur.execute(statement)

    def attempt(low: int, high: int) -> None:
        nonlocal rows
        run("SAVEPOINT crm_refusal")
        try:
            added = apply(events[low:high])
        except Exception as exc:
            run("ROLLBACK TO SAVEPOINT crm_refusal")
            run("RELEASE SAVEPOINT crm_refusal")
            if not refused_by_the_read_model(exc):
                raise
            if high - low == 1:
                refused.append((low, exc))
            else:
                split(low, high)
            return
        run("RELEASE SAVEPOINT crm_refusal")
        rows += added

    def split(low: int, high: int) -> None:
        middle = (low + high) // 2
        attempt(low, middle)
        attempt(middle, high)

    if len(events) > 1:  # the whole batch is known to fail: start with its halves
        split(0, len(events))
    elif events:
        attempt(0, 1)
    return rows, refused


def refusal_reason(event: Event, error: BaseException) -> str:
    """The dead letter's reason: which event, and PostgreSQL's own words."""
    orig = getattr(error, "orig", None) or error
    text = " ".join(str(orig).split())
    return (f"{REFUSAL}{event.event_type} of {event.aggregate_type} "
            f"{event.aggregate_id} v{event.aggregate_version} "
            f"({type(orig).__name__}): {text}")[:1000]


def read_model_check(engine: Engine) -> Callable[[Event], str | None]:
    """For `crm dlq redrive`: would the read model take this event now? The reason if not.

    The event is applied in a transaction that is rolled back (the version guard applies:
    an event older than its row passes, as it would when re-driven).
    """
    from projectors.writer import apply_events

    def check(event: Event) -> str | None:
        raw = engine.raw_connection()
        try:
            apply_events(raw.driver_connection, [event])
        except Exception as exc:
            if not refused_by_the_read_model(exc):
                raise
            return refusal_reason(event, exc)
        finally:
            raw.rollback()
            raw.close()
        return None

    return check
