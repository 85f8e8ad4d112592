"""The reaper (localstack/reaper.py): a test session killed outright leaves no server.

Stand-ins for the servers (`sleep`), so no server starts: the servers themselves are noted
by the same `register_server` (localstack/children.py, localstack/postgres.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from localstack.children import REAP_DIR_ENV, register_server
from localstack.reaper import reap


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A process standing in for a server; killed afterwards if the test did not."""
    proc = subprocess.Popen(["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait(10)


def _gone(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_noted_server_is_stopped_and_the_directory_removed(
        sleeper: subprocess.Popen[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REAP_DIR_ENV, str(tmp_path))
    register_server(sleeper.pid, signal.SIGTERM)
    assert reap(tmp_path) == [sleeper.pid]
    assert _gone(sleeper)
    assert not tmp_path.exists()


def test_a_pid_noted_for_another_process_or_a_kept_cluster_is_left_alone(
        sleeper: subprocess.Popen[bytes], tmp_path: Path) -> None:
    created = psutil.Process(sleeper.pid).create_time()
    (tmp_path / str(sleeper.pid)).write_text(f"{created - 100} {int(signal.SIGKILL)}\n")
    assert reap(tmp_path) == [] and sleeper.poll() is None  # the pid was reused
    tmp_path.mkdir()
    (tmp_path / str(sleeper.pid)).write_text(f"{created} {int(signal.SIGKILL)}\n")
    assert reap(tmp_path, keep=["sleep 60"]) == [] and sleeper.poll() is None


def test_without_the_variable_nothing_is_noted(
        sleeper: subprocess.Popen[bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(REAP_DIR_ENV, raising=False)
    register_server(sleeper.pid)
    assert list(tmp_path.iterdir()) == []


def test_a_session_killed_with_sigkill_leaves_its_servers_to_the_reaper(
        tmp_path: Path) -> None:
    """A stand-in session starts its reaper and a 'server' as conftest.py does, and is
    SIGKILLed: no finalizer runs, yet the server is gone within seconds."""
    session = textwrap.dedent(f"""
        import os, subprocess, sys, time
        os.environ[{REAP_DIR_ENV!r}] = {str(tmp_path)!r}
        from localstack.children import track_child
        subprocess.Popen([sys.executable, "-m", "localstack.reaper", str(os.getpid()),
                          {str(tmp_path)!r}], start_new_session=True)
        server = subprocess.Popen(["sleep", "60"], start_new_session=True)
        track_child(server)
        print(server.pid, flush=True)
        time.sleep(60)
    """)
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-c", session], stdout=subprocess.PIPE,
                            cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert proc.stdout is not None
    server = psutil.Process(int(proc.stdout.readline()))
    assert (tmp_path / str(server.pid)).exists()
    proc.kill()
    proc.wait(10)
    psutil.wait_procs([server], timeout=15)
    assert not server.is_running() or server.status() == psutil.STATUS_ZOMBIE
    deadline = time.monotonic() + 15  # the reaper removes its directory last
    while tmp_path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not tmp_path.exists()
