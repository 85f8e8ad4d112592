"""Start and stop the live workers as subprocesses (used by `crm demo` and `crm simulate`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

from crm.config import Settings


@contextlib.contextmanager
def workers(settings: Settings, roles: tuple[str, ...] = ("core", "projector"),
            env: dict[str, str] | None = None) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """`crm run --role R` for each role, logs under CRM_HOME/logs; SIGTERM on exit."""
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    environ = {**os.environ, "CRM_HOME": str(settings.home), **(env or {})}
    try:
        for role in roles:
            log = (settings.log_dir / f"{role}.log").open("ab")
            procs[role] = subprocess.Popen(
                [sys.executable, "-m", "crm.cli", "run", "--role", role],
                stdout=log, stderr=subprocess.STDOUT, env=environ)
        yield procs
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
