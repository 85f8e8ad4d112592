"""Test helpers for the embedded stack (used by conftest.py and the integration tests)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url


@contextlib.contextmanager
def temp_home(prefix: str = "crm-test-") -> Iterator[Path]:
    """A fresh CRM_HOME directory under the system temp dir, removed afterwards.

    Not under pytest's tmp_path: as root the embedded PostgreSQL runs as a system user,
    and every pytest start resets /tmp/pytest-of-root to mode 0700, which locks that user
    out of its own data directory (initdb and restarts then fail at random when test
    runs overlap).
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def create_database(server_url: str, prefix: str = "t") -> str:
    """Create an empty database with a unique name on `server_url`'s server; return its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {conn.dialect.identifier_preparer.quote(name)}"))
    finally:
        engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(db_url: str) -> None:
    """Drop the database `db_url` names, disconnecting its remaining sessions."""
    url = make_url(db_url)
    engine = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            quoted = conn.dialect.identifier_preparer.quote(url.database or "")
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
    finally:
        engine.dispose()


def wait_until(predicate: Callable[[], bool], timeout: float = 15.0) -> bool:
    """Poll `predicate` until it is true or `timeout` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def project(engine: sa.Engine, *batches: Sequence[Any]) -> None:
    """Project event batches straight into the read tables, one transaction per batch."""
    from projectors.writer import apply_events  # (support.py is imported by conftest)

    raw = engine.raw_connection()
    try:
        for batch in batches:
            apply_events(raw.driver_connection, list(batch))
            raw.commit()
    finally:
        raw.close()
