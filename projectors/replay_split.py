"""`crm rebuild`'s fast path on both cores: the event topics split into two groups, each
folded by a process of its own (projectors/replay.py), committed only if their tables are
apart.

Each topic's events write tables of their own (crm.leads the leads and their activities,
crm.cases the cases and their comments, ...), so two folds over disjoint sets of topics
write disjoint sets of tables, and each fold sees every write of its rows, as one fold of
the whole log would. That is checked, not assumed: each fold reports every table it
wrote before it commits, and if the two share one, neither commits (a row created by
one group's events and changed by the other's would be wrong in both folds), and the
catch-up replays the whole log in the live projector's batches instead.

The groups are balanced by the records of each topic (the larger topics first, each to
the group with fewer). The second group runs in a forked process; each commits its own
rows with the positions of its own partitions, so whatever one of them leaves uncommitted
(a refusal, a crash) is replayed from the beginning by the catch-up under the projection
lock (projectors/rebuild.py), on the tables the other one filled.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from sqlalchemy import Engine, event

from kafka_client.offsets import log_ends
from projectors.db import make_engine
from projectors.replay import Refused, replay

log = logging.getLogger(__name__)
SPLIT_FROM = 20_000  # records: below this, one process (a fork costs more than it saves)


def engine_in_schema(url: str, schema: str) -> Engine:
    """An engine whose sessions have `schema` (alone) on their search_path."""
    engine = make_engine(url)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET search_path TO "{schema}"')
        # Committed: the pool's reset rolls back what a returned connection left open,
        # and a SET rolled back with it would send that connection's next writes to the
        # live tables of `public` (it did, to a rebuild whose first use of a new
        # connection was a read).
        dbapi_conn.commit()

    return engine


def split(records: dict[str, int], groups: int = 2) -> list[list[str]]:
    """Topics in `groups` groups of about equal records (non-empty groups only)."""
    out: list[list[str]] = [[] for _ in range(groups)]
    load = [0] * groups
    for topic in sorted(records, key=lambda t: (-records[t], t)):
        lightest = load.index(min(load))
        out[lightest].append(topic)
        load[lightest] += records[topic]
    return [sorted(g) for g in out if g]


def replay_split(url: str, schema: str, bootstrap: str, group: str, topics: Sequence[str],
                 extra: dict[str, Any] | None = None,
                 progress: Callable[[int], None] | None = None) -> int:
    """The fast path over `topics` into `schema`, in two processes when the log is large
    enough; returns the events committed (raises `Refused` when none were)."""
    from confluent_kafka import Consumer

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, **(extra or {})})
    try:
        metadata = consumer.list_topics(timeout=30)
    finally:
        consumer.close()
    ends = log_ends(bootstrap, [(t, p) for t in topics for p in metadata.topics[t].partitions],
                    extra)
    records: dict[str, int] = {}
    for (topic, _), end in ends.items():
        records[topic] = records.get(topic, 0) + end
    groups = split(records)
    if len(groups) < 2 or sum(records.values()) < SPLIT_FROM:
        return _replay_in(url, schema, bootstrap, group, list(topics), extra, progress)
    ctx = multiprocessing.get_context("fork")
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=_child, name="rebuild-fold", daemon=True,
                        args=(url, schema, bootstrap, group, groups[1], extra, theirs))
    # The fork inherits this process' objects, Kafka clients among them (a caller's,
    # a test's): librdkafka handles must never be collected in the child (their threads
    # are not there; collecting one crashed it). Frozen, the child's collector skips them.
    gc.freeze()
    try:
        child.start()
    finally:
        gc.unfreeze()
    answered = False

    def agree(tables: set[str]) -> None:
        nonlocal answered
        kind, value = mine.recv()
        apart = kind != "ready" or not tables & value
        mine.send(apart)
        answered = True
        if not apart:
            raise Refused(f"the topic groups share tables: {sorted(tables & value)}")

    events = 0
    try:
        events += _replay_in(url, schema, bootstrap, group, groups[0], extra, progress, agree)
    except Refused as exc:
        log.warning("rebuild: %s", exc)
    finally:
        if not answered:  # this fold failed first: the other one must not commit either
            kind, _ = mine.recv()
            if kind == "ready":
                mine.send(False)
        kind, value = mine.recv()
        child.join()
    if kind == "done":
        events += value
    else:
        log.warning("rebuild: the fold of %s did not commit (%s)", ", ".join(groups[1]), value)
    if not events:
        raise Refused("neither fold committed")
    return events


def _replay_in(url: str, schema: str, bootstrap: str, group: str, topics: list[str],
               extra: dict[str, Any] | None, progress: Callable[[int], None] | None,
               agree: Callable[[set[str]], None] | None = None) -> int:
    engine = engine_in_schema(url, schema)
    try:
        return replay(engine, bootstrap, group, topics, extra, progress, agree=agree).events
    finally:
        engine.dispose()


def _child(url: str, schema: str, bootstrap: str, group: str, topics: list[str],
           extra: dict[str, Any] | None, pipe: Connection) -> None:
    """The second fold: says "ready" with its tables, commits only if told to, then says
    "done" with its events (or "failed" with why, at any point)."""
    asked = False

    def agree(tables: set[str]) -> None:
        nonlocal asked
        pipe.send(("ready", tables))
        asked = True
        if not pipe.recv():
            raise Refused("the other fold writes some of the same tables")

    try:
        events = _replay_in(url, schema, bootstrap, group, topics, extra, None, agree)
    except BaseException as exc:
        reason = f"{type(exc).__name__}: {exc}"
        if not asked:
            pipe.send(("failed", reason))
        pipe.send(("failed", reason))
        return
    pipe.send(("done", events))
