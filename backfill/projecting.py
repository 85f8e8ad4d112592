"""The backfill's projector follower: a fresh backfill's log folded while it is published.

A backfill into empty read tables (nothing projected yet, no stored positions) is the
case `crm rebuild`'s fast path was made for: every event's writes applied to its rows in
memory (projectors/fold.py), the field history's rows streamed into the open transaction
as they are found, the rows the log ends with written once by COPY, and the positions in
the same transaction (projectors/replay.py `fold_and_commit`). The follower reads the
topics while the generator publishes (every partition assigned from its beginning, no
consumer group to join) and, once the backfill says the log is complete, up to the ends
the partitions then have. Compared with projecting batch by batch (read the rows a batch
touches, merge, stage, upsert: each row written ~2.5 times), this is about half the
projector's CPU and far less of PostgreSQL's (docs/benchmarks.md, backfill item 23).

What stays as it was:

- Exactly once: rows, field history and positions commit in one transaction per part.
  A part ends once the fold holds more than `PART_ROWS` rows (its memory would otherwise
  grow with the whole history): those rows go with the positions of the records folded
  so far, and the next part starts holding none, reading the stored rows it touches (as
  a batch does). A kill leaves the parts committed before it and their positions, a
  state a batch projector passes through: the rerun finds rows, so it goes on in batches
  from those positions (and starts again from empty tables if no part had committed).
- Records are our own core's (`decode_trusted`: no second pydantic pass); bytes that are
  not a message we know become dead letters, flushed to Kafka before the commit.
- Anything the fold cannot do (tables that already hold rows, a value PostgreSQL refuses,
  a lost connection: `Refused`, nothing of that part committed) falls back to the live
  projector's batches (projectors/runner.py), from the positions stored (those of the
  parts before, if any), as every backfill projected before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING

from crm.bootstrap import Services
from domain.kernel.messages import Event
from events.topics import EVENT_TOPICS, PROJECTOR_GROUP
from kafka_client.offsets import log_ends
from kafka_client.reader import PartitionReader
from projectors.commit import PROJECTION_LOCK
from projectors.replay import Refused, Replayed, decoded, fold_and_commit
from projectors.tables import PROJECTED_TABLES
from projectors.write_sql import quoted
from projectors.writer import reach_extensions

log = logging.getLogger(__name__)
# The projector follows a fast-growing log: asking for a full megabyte (or half a second)
# per fetch means far fewer fetches (each one costs the broker more the longer the log)
# and larger chunks (docs/benchmarks.md, item 10).
FOLLOW_FETCH = {"fetch.wait.max.ms": 500, "fetch.min.bytes": 1 << 20}
CHUNK = 20_000  # events at most per fold step (a history COPY and a progress report each)
CATCH_UP_TIMEOUT = 3600.0  # seconds to reach the log's ends once it is complete
PART_ROWS = 300_000
"""Rows the fold holds at most before it commits a part: above the 25 tables of a 180-day
history at scale 1, so that one folds in a single part (a later part reads the stored rows
it touches again, which costs time), while longer or larger histories keep memory flat.
`CRM_FOLD_PART_ROWS` sets another bound (docs/benchmarks.md, "The fold in parts")."""


def part_rows() -> int:
    """The bound on the rows the fold holds: `CRM_FOLD_PART_ROWS`, else `PART_ROWS`."""
    return int(os.environ.get("CRM_FOLD_PART_ROWS") or PART_ROWS)


@dataclass
class Projected:
    """What the projector follower did: `mode` "fold" (`batches`: its parts, one
    transaction each) or "batches" (the live projector's; `reason`: why not the fold)."""

    events: int
    rows: int
    batches: int
    mode: str
    reason: str | None = None


def project(services: Services, published: Callable[[], bool],
            progress: Callable[[int], None]) -> Projected:
    """Project the event topics while the log grows until `published()`, then to its ends."""
    try:
        done = fold_log(services, published, progress)
        return Projected(done.events, done.rows + done.history_rows, done.parts, "fold")
    except Refused as exc:
        reason = str(exc)
        log.info("backfill projector: projecting in batches (%s)", reason)
    projector = services.projector(fetch=FOLLOW_FETCH, trusted=True)
    try:
        projector.follow(published, progress=progress)
        projector.catch_up(timeout=CATCH_UP_TIMEOUT, progress=progress)
    finally:
        projector.close()
    stats = projector.stats
    return Projected(stats.events, stats.rows, stats.batches, "batches", reason)


def fold_log(services: Services, published: Callable[[], bool],
             progress: Callable[[int], None] | None = None) -> Replayed:
    """Fold the whole log into the empty read tables and commit it with the projector
    group's positions; raises `Refused` (nothing committed) when it cannot."""
    result = Replayed()
    chunks = _follow(services, published, result)
    try:
        return fold_and_commit(services.engine, services.bootstrap, PROJECTOR_GROUP,
                               services.kafka_extra, chunks, result, progress,
                               prepare=_fresh_only, part_rows=part_rows())
    finally:
        chunks.close()  # its consumer too, when the fold stopped early


def _fresh_only(cur: Any, part: int) -> None:
    """Start a transaction of the fold: the projection lock shared (as every batch of a
    live projector holds it: no `crm rebuild` swaps the tables meanwhile), the extension
    schemas on the path, and, for the first part, `Refused` unless nothing was projected
    yet (the later parts find the rows and positions of the parts before)."""
    cur.execute("SELECT pg_advisory_xact_lock_shared(%s)", (PROJECTION_LOCK,))
    reach_extensions(cur, PROJECTED_TABLES)
    if part:
        return
    checks = [f"EXISTS (SELECT 1 FROM {quoted(t)})" for t in PROJECTED_TABLES]
    cur.execute("SELECT EXISTS (SELECT 1 FROM crm_meta.projector_offsets WHERE "
                f"consumer_group = %s) OR {' OR '.join(checks)}", (PROJECTOR_GROUP,))
    if cur.fetchone()[0]:
        raise Refused("the read tables already hold projected rows")


def _follow(services: Services, published: Callable[[], bool],
            result: Replayed) -> Iterator[list[Event]]:
    """Chunks of decoded events, every partition from its beginning, as they are
    published; once `published()`, up to the ends the partitions then have (the
    positions `result` gets). Bytes that do not decode go to `result.letters`."""
    config = {"bootstrap.servers": services.bootstrap, "group.id": PROJECTOR_GROUP,
              "enable.auto.commit": False, **FOLLOW_FETCH, **(services.kafka_extra or {})}
    with PartitionReader(config) as reader:
        partitions = reader.partitions(EVENT_TOPICS)

        def final_ends() -> dict[tuple[str, int], int] | None:
            # the log is complete once published: its ends are final
            return log_ends(services.bootstrap, partitions, services.kafka_extra) \
                if published() else None

        yield from decoded(reader.read(dict.fromkeys(partitions, OFFSET_BEGINNING), final_ends,
                                       batch=CHUNK, timeout=CATCH_UP_TIMEOUT,
                                       what="backfill projector"),
                           services.codec, result)
    result.offsets = {tp: end for tp, end in (reader.ends or {}).items() if end}
