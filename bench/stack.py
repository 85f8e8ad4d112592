"""A throw-away embedded stack for one benchmark: its own CRM_HOME, started and stopped here.

Every bench run starts its servers in a temporary CRM_HOME, ignoring CRM_DATABASE_URL /
CRM_KAFKA_BOOTSTRAP, so `crm bench` works from a fresh clone and never touches a user's
stack or data.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import localstack
from crm.bootstrap import Services, bootstrap
from crm.config import load_settings

# Variables that would point the stack at servers other than the bench's own.
_EXTERNAL = ("CRM_DATABASE_URL", "CRM_KAFKA_BOOTSTRAP", "CRM_SCHEMA_REGISTRY_URL",
             "CRM_KAFKA_SECURITY_PROTOCOL", "CRM_KAFKA_SASL_MECHANISM",
             "CRM_KAFKA_SASL_USERNAME", "CRM_KAFKA_SASL_PASSWORD",
             "CRM_KAFKA_SSL_CA_LOCATION")


def bench_env(home: Path) -> dict[str, str]:
    """The environment of a process that must use the bench stack in `home`."""
    env = {k: v for k, v in os.environ.items() if k not in _EXTERNAL}
    env["CRM_HOME"] = str(home)
    return env


@contextlib.contextmanager
def _environment(env: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def temp_stack(prefix: str = "crm-bench-", commit_timestamps: bool = False,
               keep: bool = False) -> Iterator[Services]:
    """Services on a new embedded stack in a temporary CRM_HOME, torn down afterwards.

    `commit_timestamps` turns on PostgreSQL's `track_commit_timestamp` (a restart), so
    `pg_xact_commit_timestamp(xmin)` tells when each row version became visible.
    """
    home = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        with _environment(bench_env(home)):
            settings = load_settings()
            try:
                services = bootstrap(settings)
                if commit_timestamps:
                    _enable_commit_timestamps(services)
                    localstack.down(settings)
                    services = bootstrap(settings)
                services.init()
                yield services
            finally:
                with contextlib.suppress(Exception):
                    services.engine.dispose()
                localstack.down(settings)
    finally:
        if not keep:
            shutil.rmtree(home, ignore_errors=True)


def _enable_commit_timestamps(services: Services) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(services.database_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("ALTER SYSTEM SET track_commit_timestamp = on"))
    finally:
        engine.dispose()
