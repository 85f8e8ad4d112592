"""The server processes the local stack starts: are they alive, and stopping them safely.

A process counts as ours only while its pid still names a live (not zombie) process of the
expected name, started at the recorded time: a pid reused by the system is never signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

STOP_TIMEOUT = 15.0
# Servers started by this process, kept so that they can be reaped (no zombies, no warnings).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
# Set by the test session (tests/conftest.py): a directory where every server started under
# it is noted, so that localstack.reaper stops them should the session die without doing so.
REAP_DIR_ENV = "CRM_REAP_DIR"


class StackError(RuntimeError):
    """A local service did not start (or stop) in time; the message names its log."""


def track_child(proc: subprocess.Popen[bytes]) -> None:
    """Remember a process this one started, so `process_alive` can reap it when it exits."""
    _CHILDREN[proc.pid] = proc
    register_server(proc.pid)


def register_server(pid: int, stop_signal: int = signal.SIGKILL) -> None:
    """Note a server just started (pid, start time, the signal that stops it at once) in
    CRM_REAP_DIR when that is set: the test session's reaper (localstack/reaper.py) then
    stops it should the session be killed. Without CRM_REAP_DIR (`crm up`), nothing."""
    directory = os.environ.get(REAP_DIR_ENV)
    if not directory:
        return
    with contextlib.suppress(OSError, psutil.Error):
        created = psutil.Process(pid).create_time()
        Path(directory, str(pid)).write_text(f"{created} {int(stop_signal)}\n")


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


def wait_dead(pid: int, name: str, created: float | None, timeout: float) -> bool:
    """Wait up to `timeout` s for the process to be gone; True once it is."""
    deadline = time.monotonic() + timeout
    while process_alive(pid, name, created):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def stop_pid(pid: int, name: str, created: float | None, graceful: bool = True) -> None:
    """SIGTERM, wait, then SIGKILL (only SIGKILL when not `graceful`); never touches a
    process that is not ours."""
    for sig in (signal.SIGTERM, signal.SIGKILL) if graceful else (signal.SIGKILL,):
        if not process_alive(pid, name, created):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if wait_dead(pid, name, created, STOP_TIMEOUT):
            return
    raise StackError(f"{name} (pid {pid}) survived SIGKILL")
