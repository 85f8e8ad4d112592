"""A batch's rows and its next offsets, committed in one PostgreSQL transaction.

A batch holding redelivered events is written as several runs (`in_runs`), each committed
in turn and the offsets with the last: every commit is a state a one-event-at-a-time
projector would have passed through, and a crash between them only re-reads the batch
(the version guard skips what is already applied). A connection that failed with a
transient error is invalidated, not returned to the pool.

Dead letters go to Kafka (published and flushed) *before* the transaction holding the
offsets past them commits, so a crash can only repeat a dead letter, never lose one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from domain.kernel.messages import Event
from events.dlq import DeadLetter
from producers.dead_letters import DeadLetterPublisher
from projectors.batches import in_runs, is_transient_db_error
from projectors.intake import dead_letter_of
from projectors.offsets import load_offsets, offsets_sql, save_offsets
from projectors.refusals import apply_setting_aside, refusal_reason, refused_by_the_read_model
from projectors.writer import apply_again, apply_events

log = logging.getLogger(__name__)
# Live projectors hold this advisory lock shared per batch; `crm rebuild` takes it
# exclusively to swap tables, so no batch can land in a table being swapped out.
PROJECTION_LOCK = 0x63726D5F70726A74  # b"crm_prjt"
LOCK_SQL = f"SELECT pg_advisory_xact_lock_shared({PROJECTION_LOCK})"
BACKOFF = (0.2, 5.0)  # first and longest wait between attempts to reach PostgreSQL
Offsets = dict[tuple[str, int], int]


@dataclass
class BatchCommits:
    """A projector's batches committed, their dead letters on Kafka first."""

    engine: Engine
    group: str
    take_lock: bool
    dead_letters: DeadLetterPublisher

    def commit(self, events: list[Event], offsets: Offsets, letters: list[DeadLetter],
               sources: list[Any] | None, timeout: float, should_stop: Callable[[], bool],
               give_up: Callable[[], None]) -> int:
        """`letters` flushed, then the batch committed, retried with backoff while
        PostgreSQL is unreachable (`retrying`). An event the read model refuses (with
        `sources`, the messages of `events`) is set aside as a dead letter, added to
        `letters`, and the rest written. On giving up (or any other error) `give_up`
        runs first (the projector re-seeks to its committed positions, so the batch is
        read again rather than skipped)."""
        if letters:  # durable on Kafka before the offsets past them commit
            self.dead_letters.publish_all(letters)
            self.dead_letters.flush()

        def attempt() -> int:
            try:
                return commit_batch(self.engine, self.group, events, offsets, self.take_lock)
            except Exception as exc:
                if sources is None or not refused_by_the_read_model(exc):
                    raise
                return self._setting_aside(events, offsets, sources, letters)

        return retrying(attempt, f"the batch of {len(events)} events", timeout, should_stop,
                        give_up)

    def _setting_aside(self, events: list[Event], offsets: Offsets, sources: list[Any],
                       letters: list[DeadLetter]) -> int:
        """The batch less the events the read model refuses, committed with its offsets;
        the refused ones become dead letters (added to `letters`), flushed to Kafka
        before the offsets past them commit."""
        new: list[DeadLetter] = []

        def set_aside(refused: Sequence[tuple[int, BaseException]]) -> None:
            new.extend(dead_letter_of(sources[i], refusal_reason(events[i], exc))
                       for i, exc in refused)
            if new:
                self.dead_letters.publish_all(new)
                self.dead_letters.flush()

        rows = commit_setting_aside(self.engine, self.group, events, offsets, self.take_lock,
                                    set_aside)
        letters.extend(new)
        return rows


def commit_batch(engine: Engine, group: str, events: list[Event], offsets: Offsets,
                 take_lock: bool) -> int:
    """The batch's rows and `offsets` of `group`, committed together; returns rows sent."""
    parts = in_runs(events) or [[]]
    rows = 0
    for index, part in enumerate(parts):
        position = offsets if index == len(parts) - 1 else {}

        def write(conn: Any, part: list[Event] = part, position: Offsets = position) -> int:
            with conn.cursor() as cur:
                offsets = offsets_sql(cur, group, position)
            # the lock and the offsets ride on the writer's first and last round trip
            return apply_events(conn, part, prelude=LOCK_SQL if take_lock else "",
                                then=offsets)

        rows += _in_transaction(engine, False, write)
    return rows


def commit_setting_aside(engine: Engine, group: str, events: list[Event], offsets: Offsets,
                         take_lock: bool,
                         set_aside: Callable[[Sequence[tuple[int, BaseException]]], None]) -> int:
    """The batch without the events the read model refuses, and its offsets, in one
    transaction. `set_aside` gets the refused ones (index in `events`, the error) before
    the commit: it makes them durable dead letters before the offsets past them commit."""

    def write(conn: Any) -> int:
        rows, refused = apply_setting_aside(
            conn, events, lambda part: sum(apply_again(conn, run) for run in in_runs(part)))
        set_aside(refused)
        save_offsets(conn, group, offsets)
        return rows

    return _in_transaction(engine, take_lock, write)


def _in_transaction(engine: Engine, take_lock: bool, write: Callable[[Any], int]) -> int:
    raw = engine.raw_connection()
    try:
        if take_lock:
            with raw.driver_connection.cursor() as cur:
                cur.execute(LOCK_SQL)
        rows = write(raw.driver_connection)
        raw.commit()
    except Exception as exc:
        if is_transient_db_error(exc):
            raw.invalidate()  # a dead connection must not go back to the pool
        else:
            raw.rollback()
        raise
    finally:
        raw.close()
    return rows


def retrying(attempt: Callable[[], int], what: str, timeout: float,
             should_stop: Callable[[], bool], give_up: Callable[[], None]) -> int:
    """`attempt()`, tried again with backoff while PostgreSQL is unreachable, for up to
    `timeout` seconds or until `should_stop()`; `give_up()` runs before an error is raised.

    A retry repeats the whole transaction (rows are version-guarded, offsets absolute), so
    a commit whose acknowledgement was lost is harmless.
    """
    started = time.monotonic()
    delay = BACKOFF[0]
    while True:
        try:
            return attempt()
        except Exception as exc:
            waited = time.monotonic() - started
            if not is_transient_db_error(exc) or waited + delay > timeout or should_stop():
                give_up()
                raise
            log.warning("projector: waiting for PostgreSQL (%s); %s is not committed, "
                        "retrying in %.1fs", first_line(exc), what, delay)
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF[1])


def stored_offsets(engine: Engine, group: str, patience: float = 300.0) -> Offsets:
    """`group`'s stored positions, waiting (up to `patience` seconds) for PostgreSQL."""
    started = time.monotonic()
    delay = BACKOFF[0]
    while True:
        raw = None
        try:
            raw = engine.raw_connection()
            return load_offsets(raw.driver_connection, group)
        except Exception as exc:
            if not is_transient_db_error(exc) or time.monotonic() - started > patience:
                raise
            log.warning("projector: waiting for PostgreSQL to read the stored offsets "
                        "(%s); retrying in %.1fs", first_line(exc), delay)
            if raw is not None:
                raw.invalidate()
            time.sleep(delay)
            delay = min(delay * 2, BACKOFF[1])
        finally:
            if raw is not None:
                raw.close()


def first_line(exc: BaseException) -> str:
    """An error's type and the first line of its message (for a one-line log)."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
