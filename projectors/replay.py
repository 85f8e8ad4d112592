"""`crm rebuild`'s fast path: the event topics read once from the beginning to the ends
they had when it started, folded in memory (projectors/fold.py), written into the empty
build tables in one transaction with the positions reached.

What the fast path trusts and what it does not:

- Records come from our own log, whose contract the core checked when it made each
  message, so they are decoded without pydantic's second pass (`decode_trusted`); bytes
  that are not a message we know still become dead letters, published and flushed before
  the transaction that moves the positions past them commits (as the live projector
  does).
- A value PostgreSQL refuses (a data or integrity error) or a lost connection makes the
  whole transaction roll back: nothing of the fast path is left, and `Refused` tells the
  caller to replay with the live projector's batches instead, which set refused events
  aside one by one and wait out PostgreSQL (projectors/runner.py).

Consumers are assigned their partitions (no consumer group to join); the positions go
to `crm_meta.projector_offsets` under the rebuild's group, so the live projector's code
carries on from them (the catch-up under the projection lock).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Message
from sqlalchemy.engine import Engine

from domain.kernel.messages import Event
from events.codec import AvroCodec, DecodeError
from events.dlq import DeadLetter
from kafka_client.offsets import log_ends
from kafka_client.reader import PartitionReader
from producers.dead_letters import DeadLetterPublisher
from projectors import history
from projectors.batches import is_transient_db_error
from projectors.fold import HISTORY_COLUMNS, Fold, copy_text
from projectors.intake import dead_letter_of
from projectors.offsets import save_offsets
from projectors.refusals import refused_by_the_read_model
from projectors.statements import Writer

CHUNK = 20_000  # events decoded and folded between two progress reports / history flushes
FETCH = {"fetch.wait.max.ms": 50, "fetch.max.bytes": 64 * 2**20,
         "max.partition.fetch.bytes": 16 * 2**20, "queued.max.messages.kbytes": 256 * 1024}


class Refused(Exception):
    """The fast path cannot write this log (a refused value, a lost database): nothing
    of it was committed; replay with the live projector's batches instead."""


@dataclass
class Replayed:
    """What the fast path did."""

    events: int = 0
    rows: int = 0
    history_rows: int = 0
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    letters: list[DeadLetter] = field(default_factory=list)
    reached: dict[tuple[str, int], int] = field(default_factory=dict)
    """Each partition's offset after the last record read (folded or dead-lettered)."""
    parts: int = 0  # transactions the rows were written in


def replay(engine: Engine, bootstrap: str, group: str, topics: Sequence[str],
           extra: dict[str, Any] | None = None,
           progress: Callable[[int], None] | None = None, timeout: float = 600.0,
           agree: Callable[[set[str]], None] | None = None) -> Replayed:
    """Fold `topics` from the beginning to their current ends into the (empty) tables of
    `engine`'s search_path and commit them with `group`'s positions; raises `Refused`.

    `agree`, if given, is called with the tables the fold wrote (every write's, whether
    it changed a row or not) once all is written, before the commit; it raises `Refused`
    to roll back (projectors/replay_split.py: two folds may commit only if their tables
    are apart)."""

    def bounded_waits(cur: Any, part: int) -> None:
        # Two folds writing one key (tables they should not share) would wait on each
        # other's transaction, and the second would wait on a pipe PostgreSQL cannot
        # see: a bounded wait ends it as a failed fold, replayed by the catch-up.
        cur.execute("SET LOCAL lock_timeout = '10s'")

    result = Replayed()
    return fold_and_commit(engine, bootstrap, group, extra,
                           _read(bootstrap, group, topics, extra, result, timeout), result,
                           progress, agree, prepare=bounded_waits)


def fold_and_commit(engine: Engine, bootstrap: str, group: str, extra: dict[str, Any] | None,
                    chunks: Iterable[list[Event]], result: Replayed,
                    progress: Callable[[int], None] | None = None,
                    agree: Callable[[set[str]], None] | None = None,
                    prepare: Callable[[Any, int], None] | None = None,
                    part_rows: int | None = None) -> Replayed:
    """Fold `chunks` (decoded events in log order, from the beginning of every partition
    they read) into the empty tables of `engine`'s search_path, and commit the rows with
    `group`'s positions in one transaction; raises `Refused` (nothing committed).

    With `part_rows`, the fold commits in parts instead, to hold at most about that many
    rows: once it holds more after a chunk, it writes them with the positions of the
    records folded so far, commits, and goes on holding none (a later part reads the
    stored rows it touches, as the live projector's batches do: `Fold.flush`). `Refused`
    then leaves the parts committed before it, and their positions.

    The source of `chunks` fills `result`: its dead letters (published and flushed on
    `bootstrap` before the commit) and the positions reached (`reached` after each chunk;
    `offsets`, once all is read). `prepare` runs first in each part's transaction, on its
    cursor, with the part's number (it may raise `Refused`); `agree` as in `replay`."""
    fold = Fold(track_history=history.enabled())
    pending = iter(chunks)
    raw = engine.raw_connection()
    published = 0  # dead letters already durable
    try:
        conn = raw.driver_connection
        while True:
            if prepare is not None:
                with conn.cursor() as cur:
                    prepare(cur, fold.parts)
            if _fold_part(conn, fold, pending, result, progress, part_rows):
                break
            save_offsets(conn, group, result.reached)
            published = _publish(bootstrap, extra, result.letters, published)
            raw.commit()
        save_offsets(conn, group, result.offsets)
        result.events, result.parts = fold.events, fold.parts
        if agree is not None:
            agree(fold.tables)
        _publish(bootstrap, extra, result.letters, published)
        raw.commit()
    except Exception as exc:
        if is_transient_db_error(exc):
            raw.invalidate()
        else:
            raw.rollback()
        if refused_by_the_read_model(exc) or is_transient_db_error(exc):
            raise Refused(str(exc).strip().splitlines()[0] if str(exc).strip() else
                          type(exc).__name__) from exc
        raise
    finally:
        raw.close()
    return result


def _fold_part(conn: Any, fold: Fold, chunks: Iterator[list[Event]], result: Replayed,
               progress: Callable[[int], None] | None, part_rows: int | None) -> bool:
    """Fold chunks until `fold` holds more than `part_rows` rows or they run out (True),
    and write the part; the field history goes as it is found."""
    with conn.cursor() as cur, (writer := Writer(cur)) as send:
        text = ""  # the field history of the chunk folded last, not sent yet
        for events in chunks:
            # A later part reads the stored rows a chunk touches: those reads are queued
            # before the previous chunk's history COPY, so PostgreSQL takes that COPY while
            # this thread folds (a read queued behind it waited for it: no overlap).
            staged = fold.stage(events, writer.submit)
            copy_text(send, history.HISTORY_TABLE, HISTORY_COLUMNS, text)
            fold.apply(staged)
            n, text = fold.take_history()
            result.history_rows += n
            if progress is not None:
                progress(fold.events)
            if part_rows is not None and len(fold.state) > part_rows:
                copy_text(send, history.HISTORY_TABLE, HISTORY_COLUMNS, text)
                result.rows += fold.flush(send)
                return False
        copy_text(send, history.HISTORY_TABLE, HISTORY_COLUMNS, text)
        result.rows += fold.flush(send)
        return True


def _publish(bootstrap: str, extra: dict[str, Any] | None, letters: list[DeadLetter],
             published: int) -> int:
    """Make `letters` past the first `published` durable on Kafka (before the positions
    past them commit); how many are now."""
    if len(letters) > published:
        publisher = DeadLetterPublisher(bootstrap, extra)
        publisher.publish_all(letters[published:])
        publisher.flush()
    return len(letters)


def _read(bootstrap: str, group: str, topics: Sequence[str], extra: dict[str, Any] | None,
          result: Replayed, timeout: float) -> Iterator[list[Event]]:
    """Chunks of decoded events, every partition from its beginning to the end it had;
    `result` gets the dead letters and, once all is read, the ends as positions."""
    with PartitionReader({"bootstrap.servers": bootstrap, "group.id": group,
                          "enable.auto.commit": False, **FETCH, **(extra or {})}) as reader:
        partitions = reader.partitions(topics)
        ends = log_ends(bootstrap, partitions, extra)
        yield from decoded(reader.read(dict.fromkeys(partitions, OFFSET_BEGINNING), ends,
                                       batch=CHUNK, timeout=timeout, what="rebuild"),
                           AvroCodec(), result)
    result.offsets = {tp: end for tp, end in ends.items() if end}


def decoded(chunks: Iterable[list[Message]], codec: AvroCodec,
            result: Replayed) -> Iterator[list[Event]]:
    """The events of `chunks` of our own log's records (`decode_trusted`: the core checked
    them when it made them); records that do not decode go to `result.letters`."""
    reached = result.reached
    for messages in chunks:
        events = []
        for msg in messages:
            try:
                events.append(codec.decode_trusted(msg.value()))
            except DecodeError as exc:
                result.letters.append(dead_letter_of(msg, str(exc)))
            reached[(msg.topic(), msg.partition())] = msg.offset() + 1
        if events:
            yield events
