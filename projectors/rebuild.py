"""Rebuild the read tables from the log without readers ever seeing a half-built table.

The 25 contract tables and the extensions (projectors.tables.EXTENSION_TABLES).

1. Create the tables afresh in schema `crm_rebuild` and project every event topic from the
   beginning into them (a separate consumer group): folded in memory and written once by
   COPY, in two processes split by topic (projectors/replay_split.py, replay.py, fold.py);
   whatever that fast path leaves uncommitted (a value PostgreSQL refuses, a lost
   connection) is projected by the live projector's batches from the positions it stored.
2. Take the projection lock (live projectors hold it shared per batch), drain what
   arrived meanwhile, then in one transaction move the old tables out and the new ones
   into `public`, and hand the rebuild's offsets to the live projector group.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import text

from events.topics import EVENT_TOPICS, REBUILD_GROUP
from projectors.commit import PROJECTION_LOCK
from projectors.db import ANALYST_ROLE, WRITER_ROLE, ensure_roles, make_engine
from projectors.replay import Refused
from projectors.replay_split import engine_in_schema, replay_split
from projectors.runner import GROUP, Projector
from projectors.tables import EXTENSION_TABLES, READ_TABLES, TABLES, extension_metadata, metadata

log = logging.getLogger(__name__)
BUILD_SCHEMA = "crm_rebuild"
RETIRED_SCHEMA = "crm_retired"


def rebuild(url: str, bootstrap: str, kafka_extra: dict[str, Any] | None = None,
            progress: Callable[[int], None] | None = None, live_group: str = GROUP) -> int:
    """Rebuild every read table from the event topics; returns the events replayed."""
    live = make_engine(url)
    with live.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {BUILD_SCHEMA}"))
        conn.execute(text("DELETE FROM crm_meta.projector_offsets WHERE consumer_group = :g"),
                     {"g": REBUILD_GROUP})
    build = engine_in_schema(url, BUILD_SCHEMA)
    tables = [TABLES[name] for name in READ_TABLES]
    with build.begin() as conn:
        metadata.create_all(conn.execution_options(schema_translate_map={None: BUILD_SCHEMA}),
                            tables=tables)
        # Extensions are built beside the 25 (their schema mapped to the build schema), so
        # the unqualified names the projector writes reach them through the search_path.
        extension_map = {t.schema: BUILD_SCHEMA for t in EXTENSION_TABLES.values()}
        extension_metadata.create_all(
            conn.execution_options(schema_translate_map=extension_map),
            tables=list(EXTENSION_TABLES.values()))
    replayed = 0
    build.dispose()  # no pooled connection crosses the fork of the second fold
    live.dispose()
    try:
        replayed = replay_split(url, BUILD_SCHEMA, bootstrap, REBUILD_GROUP, EVENT_TOPICS,
                                kafka_extra, progress)
    except Refused as exc:
        log.warning("rebuild: the fast path cannot write this log (%s); replaying it in "
                    "the live projector's batches", exc)
    projector = Projector(build, bootstrap, group=REBUILD_GROUP, extra=kafka_extra,
                          take_lock=False, assign=True)
    try:
        projector.catch_up(progress=progress)
        with live.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PROJECTION_LOCK})
            projector.catch_up(progress=progress)  # whatever arrived while we built
            _swap(conn, live_group)
    finally:
        projector.close()
        build.dispose()
    with live.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {RETIRED_SCHEMA} CASCADE"))
        conn.execute(text(f"DROP SCHEMA IF EXISTS {BUILD_SCHEMA} CASCADE"))
    ensure_roles(live, ANALYST_ROLE, WRITER_ROLE)
    live.dispose()
    return replayed + projector.stats.events


def _swap(conn: Any, live_group: str) -> None:
    conn.execute(text(f"DROP SCHEMA IF EXISTS {RETIRED_SCHEMA} CASCADE"))
    conn.execute(text(f"CREATE SCHEMA {RETIRED_SCHEMA}"))
    for name in READ_TABLES:
        conn.execute(text(f'ALTER TABLE public."{name}" SET SCHEMA {RETIRED_SCHEMA}'))
        conn.execute(text(f'ALTER TABLE {BUILD_SCHEMA}."{name}" SET SCHEMA public'))
    for name, table in EXTENSION_TABLES.items():
        conn.execute(text(f'ALTER TABLE {table.schema}."{name}" SET SCHEMA {RETIRED_SCHEMA}'))
        conn.execute(text(f'ALTER TABLE {BUILD_SCHEMA}."{name}" SET SCHEMA {table.schema}'))
    conn.execute(text("DELETE FROM crm_meta.projector_offsets WHERE consumer_group = :g"),
                 {"g": live_group})
    conn.execute(text(
        "INSERT INTO crm_meta.projector_offsets (consumer_group, topic, partition, next_offset, "
        "updated_at) SELECT :live, topic, partition, next_offset, now() "
        "FROM crm_meta.projector_offsets WHERE consumer_group = :build"),
        {"live": live_group, "build": REBUILD_GROUP})
