"""The live projector's archive in a process of its own (localstack/archive_follower.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_archiving_process_of_a_projector_that_is_gone_exits_at_once(tmp_path: Path) -> None:
    """Started for a parent that is not its parent (the projector died before it came
    up): it exits without a pass, where a thread would have died with its process."""
    done = subprocess.run(
        [sys.executable, "-m", "localstack.archive_follower", str(tmp_path), "127.0.0.1:9",
         "0.01", str(os.getpid() + 10_000_000)], capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"" and not any(tmp_path.iterdir())
