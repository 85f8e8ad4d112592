"""Events the read model refuses: find the one that fails a batch, so it can be set aside.

A record produced straight onto an event topic (not through our core) can decode and
still carry a value PostgreSQL will not store: an `integer` beyond its range, a NUL
character in text, a number that is already another row's unique key. The batch holding
it fails with a data error (SQLSTATE class 22) or an integrity error (class 23) however
often it is retried; before this, the projector stopped on it for good.

`first_refused` finds the culprit by bisection over the batch's prefixes, each tried in a
transaction that is rolled back: the shortest failing prefix ends with it. The runner
then dead-letters that event (reason and original bytes), drops it from the batch and
writes the rest with the offsets of the whole batch. Errors of other kinds (a lost
connection, a bug in our SQL) are not refusals: the batch stays unwritten, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import psycopg2
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Engine

from domain.messages import Event

REFUSAL = "the read model refused "
"""How the reason of a dead letter set aside by the projector begins."""


def refused_by_the_read_model(exc: BaseException) -> bool:
    """True for an error caused by the values written (SQLSTATE class 22 or 23)."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig
    return isinstance(exc, psycopg2.DataError | psycopg2.IntegrityError)


def first_refused(events: Sequence[Event],
                  trial: Callable[[Sequence[Event]], BaseException | None],
                  ) -> tuple[int, BaseException] | None:
    """(index, error) of the event whose addition makes the batch fail; None if it passes.

    `trial(prefix)` applies a prefix in a transaction it rolls back and returns the error
    (None when it applied). A prefix failing for another reason than a refusal ends the
    search with None: then nothing may be set aside. About log2(len(events)) trials.
    """
    error = trial(events)
    if error is None or not refused_by_the_read_model(error):
        return None
    low, high = 0, len(events)  # events[:low] applies, events[:high] is refused
    while high - low > 1:
        middle = (low + high) // 2
        found = trial(events[:middle])
        if found is None:
            low = middle
        elif refused_by_the_read_model(found):
            high, error = middle, found
        else:
            return None
    return high - 1, error


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
