"""Stops the servers a test session started once the session is gone, however it ended.

A session killed outright (SIGKILL, SIGTERM, a CI job cancelled) runs no finalizer, and the
embedded servers it started (PostgreSQL, Tansu, Apache Kafka's JVMs) run on: each lives in
a session of its own, and PostgreSQL is a daemon. tests/conftest.py starts this reaper
beside the session with CRM_REAP_DIR set; every server started under that environment is
noted there (localstack.children.register_server), by pytest and by the `crm` processes
the tests start alike. When its parent (the pytest process) is gone, the reaper signals
each noted server that is still the same process (pid and start time), waits, SIGKILLs
what is left and removes the directory.

`python -m localstack.reaper PARENT_PID DIR [KEEP ...]`: servers whose command line holds
a KEEP string (a cluster kept with CRM_TEST_KAFKA_HOME) are left running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import psutil

GRACE_S = 10.0  # PostgreSQL's immediate shutdown takes well under a second


def noted(directory: Path) -> list[tuple[psutil.Process, int]]:
    """The noted servers still running as the process noted, with their stop signals."""
    out = []
    for entry in directory.iterdir():
        with contextlib.suppress(ValueError, OSError, psutil.Error):
            created, stop_signal = entry.read_text().split()
            proc = psutil.Process(int(entry.name))
            if abs(proc.create_time() - float(created)) < 1.0:  # else a reused pid
                out.append((proc, int(stop_signal)))
    return out


def reap(directory: Path, keep: Sequence[str] = ()) -> list[int]:
    """Stop every noted server still running (but those `keep` names); their pids."""
    procs = []
    for proc, stop_signal in noted(directory):
        with contextlib.suppress(psutil.Error):
            command = " ".join(proc.cmdline())
            if any(k in command for k in keep):
                continue
            proc.send_signal(stop_signal)
            procs.append(proc)
    _, alive = psutil.wait_procs(procs, timeout=GRACE_S)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    shutil.rmtree(directory, ignore_errors=True)
    return [proc.pid for proc in procs]


def main(argv: Sequence[str]) -> None:
    """Wait for PARENT_PID to go (this process is then re-parented), then reap DIR."""
    parent, directory, *keep = argv
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the session's to handle
    while os.getppid() == int(parent):
        time.sleep(0.5)
    reap(Path(directory), keep)


if __name__ == "__main__":
    main(sys.argv[1:])
