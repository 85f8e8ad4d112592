"""The core and projector workers of the live bench: `crm run --role core` and
`crm run --role projector` as real subprocesses on the bench stack (exactly as an
operator starts them), with the CPU time and peak memory each one used.

`CRM_BENCH_PYSPY=<dir>` attaches `py-spy record` to each worker while the bench saturates
them (the burst: `<dir>/<role>.txt`, raw collapsed stacks, 200 samples/s, idle time left
out): the profiles behind docs/benchmarks.md's live section.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil

from backfill.helper_process import peak_rss_mb
from bench.stack import bench_env
from crm.bootstrap import Services

PYSPY_ENV = "CRM_BENCH_PYSPY"
# Another checkout for the workers (e.g. the commit before a change, for a before/after
# in the same minutes on a shared machine); the bench itself stays this tree.
WORKER_PATH_ENV = "CRM_BENCH_WORKER_PYTHONPATH"


class Workers:
    """The core and projector worker subprocesses on the bench stack."""

    def __init__(self, services: Services, roles: tuple[str, ...] = ("core", "projector"),
                 env: dict[str, str] | None = None) -> None:
        self.services = services
        home = services.settings.home
        env = {**bench_env(home), **(env or {})}
        if os.environ.get(WORKER_PATH_ENV):
            env["PYTHONPATH"] = os.environ[WORKER_PATH_ENV]
        log_dir = services.settings.log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.spies: list[subprocess.Popen[bytes]] = []
        for role in roles:
            log = (log_dir / f"bench-{role}.log").open("ab")
            self.procs[role] = subprocess.Popen(
                [sys.executable, "-m", "crm.cli", "run", "--role", role],
                env=env, stdout=log, stderr=subprocess.STDOUT,
                cwd=os.environ.get(WORKER_PATH_ENV) or os.getcwd())  # -m: cwd comes first

    def spy(self) -> None:
        """Start py-spy on every worker when CRM_BENCH_PYSPY names a directory."""
        where = os.environ.get(PYSPY_ENV)
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not where or not Path(spy).exists():
            return
        Path(where).mkdir(parents=True, exist_ok=True)
        for role, proc in self.procs.items():
            self.spies.append(subprocess.Popen(
                # --nonblocking: by default py-spy pauses the worker at every sample,
                # which adds to the very latencies the bench measures
                [spy, "record", "--pid", str(proc.pid), "--rate", "200", "--format", "raw",
                 "--nonblocking", "-o", str(Path(where) / f"{role}.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def unspy(self) -> None:
        """Stop the profilers (py-spy writes its file on SIGINT)."""
        for spy in self.spies:
            spy.send_signal(signal.SIGINT)
        for spy in self.spies:
            try:
                spy.wait(60)
            except subprocess.TimeoutExpired:
                spy.kill()
        self.spies = []

    def check(self) -> None:
        """Raise if a worker has exited (its log says why)."""
        for role, proc in self.procs.items():
            if proc.poll() is not None:
                log = self.services.settings.log_dir / f"bench-{role}.log"
                raise RuntimeError(f"the {role} worker exited with {proc.returncode}; "
                                   f"see {log}")

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) used so far by each worker (with its children: the
        projector's archive, localstack/archive_follower.py) and by the servers."""
        out = {role: cpu_seconds_of(proc.pid, children=True) for role, proc in self.procs.items()}
        stack = self.services.stack
        out["postgres"] = cpu_seconds_of(stack.pg_pid, children=True) if stack.pg_pid else 0.0
        out["broker"] = cpu_seconds_of(stack.broker_pid) if stack.broker_pid else 0.0
        out["bench"] = cpu_seconds_of(os.getpid())
        return out

    def peak_rss(self) -> dict[str, float]:
        """Peak resident memory of each worker so far, in MB."""
        return {role: peak_rss_mb(proc.pid) for role, proc in self.procs.items()}

    def stop(self) -> None:
        """SIGTERM both workers; kill one that has not exited within 30 s."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        self.unspy()
        for proc in self.procs.values():
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def cpu_seconds_of(pid: int, children: bool = False) -> float:
    """CPU time (user + system) of a process (and, with `children`, of its children)."""
    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)] if children else [proc]
        total = 0.0
        for each in procs:
            with contextlib.suppress(psutil.Error):
                t = each.cpu_times()
                total += t.user + t.system
        return total
    except psutil.Error:
        return 0.0
