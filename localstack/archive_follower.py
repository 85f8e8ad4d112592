"""The live projector's continuous archive (local mode), run as a process of its own.

`crm run --role projector` starts it (localstack.durability.ContinuousArchive): every
`interval` seconds it appends what the embedded broker holds beyond the archive, as the
projector's own thread did before. In the projector's process a pass held the GIL the
projector's batches wait for (12-15 % of the projector's samples at paced load,
docs/benchmarks.md session 7); here it only shares the machine's cores.

It lives and dies with the projector: SIGTERM (the projector stopping) makes it do a last
pass and print the records it archived in all; the projector's death kills it
(`PR_SET_PDEATHSIG` on Linux, and a check of the parent at every tick elsewhere), as the
thread died with its process. SIGINT is left to the projector (a Ctrl-C in a terminal
reaches both): the projector stops it with SIGTERM after its last batch. The archive lock
serialises it with `crm down` and a backfill's archiver, as before.

Usage: python -m localstack.archive_follower ARCHIVE_DIR BOOTSTRAP INTERVAL PARENT_PID
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from archive.log import Archiver

log = logging.getLogger("localstack.durability")
PR_SET_PDEATHSIG = 1


def follow(root: Path, bootstrap: str, interval: float, stop: threading.Event,
           parent: int | None = None) -> int:
    """Archive every `interval` seconds until `stop` (then a last pass) or until the
    process `parent` is gone; returns the records archived. A failed pass (the broker
    restarting) is logged and tried again at the next tick."""
    archiver = Archiver(root, bootstrap)
    added = 0
    try:
        while True:
            stopping = stop.wait(interval)
            if parent is not None and os.getppid() != parent:
                return added  # orphaned: the projector died without stopping us
            try:
                added += archiver.catch_up()
            except Exception as exc:  # keep following: the next pass may succeed
                log.warning("archive: pass failed (%s); retrying in %.0fs", exc, interval)
            if stopping:
                return added
    finally:
        archiver.close()


def _die_with_parent(parent: int) -> None:
    """Be killed when the parent dies (Linux); exit now if it already has."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        sys.exit(0)


def main(argv: list[str]) -> None:
    """Entry point of the process (see the module's usage)."""
    root, bootstrap, interval, parent = argv
    _die_with_parent(int(parent))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    added = follow(Path(root), bootstrap, float(interval), stop, int(parent))
    print(added, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
