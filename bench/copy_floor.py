"""The COPY floor: how fast PostgreSQL takes the read tables' rows by plain COPY into empty
look-alike tables, on the same server. The projector's write path and the backfill are
measured against it (a ratio, so the figure does not depend on the machine). Also the
plain psycopg2 connections and scratch databases the stage benchmarks use."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from projectors.tables import EXTENSION_TABLES, READ_TABLES

SCRATCH_SCHEMA = "bench_copy"


def _dsn(database_url: str) -> dict[str, Any]:
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    params = {"dbname": url.database, "user": url.username or "postgres",
              "host": url.query.get("host") or url.host, "port": url.query.get("port") or url.port}
    if url.password:
        params["password"] = url.password
    return {k: v for k, v in params.items() if v is not None}


def connect(database_url: str) -> Any:
    """A plain psycopg2 connection to the database a SQLAlchemy URL names."""
    return psycopg2.connect(**_dsn(database_url))


@dataclass
class CopyFloor:
    """Plain COPY of the read tables' rows into empty look-alike tables."""

    rows: int
    bytes: int
    seconds: float
    by_table: dict[str, float] = field(default_factory=dict)
    rows_by_table: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_s(self) -> float:
        """Rows COPY took per second."""
        return self.rows / self.seconds if self.seconds else 0.0


def copy_floor(database_url: str, schema: str = "public", repeat: int = 3,
               extensions: bool = False) -> CopyFloor:
    """COPY every read table out to memory, then time COPY IN into empty copies of them.

    The copies are `CREATE TABLE ... (LIKE t INCLUDING ALL)` (same columns, defaults,
    keys and indexes) in a scratch schema; only the COPY IN statements and their commit
    are timed. The best of `repeat` passes (each into new empty tables) is the floor. The
    scratch schema is dropped afterwards. `extensions`: the read-model extensions too
    (field history, forecast snapshots: every row `crm rebuild` writes), each read from
    its own schema (`schema` then names where the 25 are).
    """
    sources = {name: f'{schema}."{name}"' for name in READ_TABLES}
    if extensions:
        sources.update({name: f'{t.schema}."{name}"' for name, t in EXTENSION_TABLES.items()})
    conn = connect(database_url)
    try:
        data: dict[str, bytes] = {}
        rows = 0
        by_table_rows: dict[str, int] = {}
        with conn.cursor() as cur:
            for name, source in sources.items():
                buf = io.BytesIO()
                cur.copy_expert(f"COPY (SELECT * FROM {source}) TO STDOUT", buf)
                data[name] = buf.getvalue()
                by_table_rows[name] = cur.rowcount
                rows += cur.rowcount
        conn.commit()
        best: tuple[float, dict[str, float]] | None = None
        for _ in range(repeat):
            passed = _copy_pass(conn, sources, data)
            if best is None or passed[0] < best[0]:
                best = passed
        assert best is not None
        return CopyFloor(rows, sum(map(len, data.values())), best[0], best[1], by_table_rows)
    finally:
        conn.close()


def _copy_pass(conn: Any, sources: dict[str, str],
               data: dict[str, bytes]) -> tuple[float, dict[str, float]]:
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {SCRATCH_SCHEMA} CASCADE")
        cur.execute(f"CREATE SCHEMA {SCRATCH_SCHEMA}")
        for name, source in sources.items():
            cur.execute(f'CREATE TABLE {SCRATCH_SCHEMA}."{name}" (LIKE {source} INCLUDING ALL)')
    conn.commit()
    by_table = {}
    with conn.cursor() as cur:
        t0 = time.perf_counter()
        for name in sources:
            t = time.perf_counter()
            cur.copy_expert(f'COPY {SCRATCH_SCHEMA}."{name}" FROM STDIN', io.BytesIO(data[name]))
            by_table[name] = time.perf_counter() - t
        conn.commit()
        seconds = time.perf_counter() - t0
    with conn.cursor() as cur:
        cur.execute(f"DROP SCHEMA {SCRATCH_SCHEMA} CASCADE")
    conn.commit()
    return seconds, by_table


def table_rows(database_url: str) -> int:
    """Rows in the 25 read tables."""
    conn = connect(database_url)
    try:
        with conn.cursor() as cur:
            return sum(_count(cur, name) for name in READ_TABLES)
    finally:
        conn.close()


def _count(cur: Any, name: str) -> int:
    cur.execute(f'SELECT count(*) FROM "{name}"')
    return int(cur.fetchone()[0])


def create_database(server_url: str) -> str:
    """A new, empty database on the server of `server_url`; its URL."""
    import uuid

    from sqlalchemy.engine import make_url

    name = f"bench_{uuid.uuid4().hex[:10]}"
    conn = connect(server_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    """Drop the database of `url` (connections to it are ended)."""
    from sqlalchemy.engine import make_url

    conn = connect(server_url)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    finally:
        conn.close()
