"""Alembic environment for the CRM read model (the 25 read tables and `crm_meta`).

The database URL comes from, in order: `-x url=...`, the `sqlalchemy.url` main option
(set by projectors.db.migrate), the CRM_DATABASE_URL environment variable. Alembic's
version table lives in `crm_meta`, so the default schema holds only the 25 read tables.
Online runs hold a PostgreSQL advisory lock, so concurrent `migrate()` calls (several
projector processes starting at once) apply each revision exactly once.
"""

from __future__ import annotations

import os
from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import text

from projectors.db import make_engine
from projectors.tables import META_SCHEMA, metadata

MIGRATION_LOCK_KEY = 0x63726D5F6D696772  # b"crm_migr"; any bigint unique to this project

config = context.config
if config.config_file_name and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    """The URL to migrate: `-x url=`, then `sqlalchemy.url`, then CRM_DATABASE_URL."""
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or os.environ.get("CRM_DATABASE_URL", "").strip()
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=..., or set CRM_DATABASE_URL")
    return url


def include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Autogenerate sees only our schemas, and never Alembic's own version table."""
    if type_ == "schema":
        return name in (None, META_SCHEMA)
    if type_ == "table":
        return name != "alembic_version"
    return True


CONFIGURE_OPTIONS: dict[str, Any] = {
    "target_metadata": metadata,
    "version_table_schema": META_SCHEMA,
    "include_schemas": True,
    "include_name": include_name,
    "compare_type": True,
    "compare_server_default": True,
}


def run_migrations_offline() -> None:
    """Emit the SQL script (`alembic upgrade head --sql`) instead of running it."""
    context.configure(url=database_url(), literal_binds=True, **CONFIGURE_OPTIONS)
    with context.begin_transaction():
        context.execute(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}")
        context.run_migrations()


def run_migrations_online() -> None:
    """Apply the migrations under an advisory lock."""
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            lock = {"key": MIGRATION_LOCK_KEY}
            connection.execute(text("SELECT pg_advisory_lock(:key)"), lock)
            try:
                # The version table lives in crm_meta, so the schema must exist first.
                connection.execute(text(f"CREATE SCHEMA IF NOT EXISTS {META_SCHEMA}"))
                connection.commit()
                context.configure(connection=connection, **CONFIGURE_OPTIONS)
                with context.begin_transaction():
                    context.run_migrations()
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), lock)
                connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
