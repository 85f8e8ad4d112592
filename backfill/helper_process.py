"""What every helper process of a backfill (the followers, the publisher) shares: it dies
with the backfill, yields the CPU to the generator, and reports its CPU time and peak
memory (which `crm bench` reads too, for any process it watches).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import resource
import signal
import sys
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

_PR_SET_PDEATHSIG = 1
HELPER_NICENESS = 10


def become_helper(parent: int) -> None:
    """Set up a helper process of the backfill: the kernel kills it when `parent` dies,
    and it runs at HELPER_NICENESS, so the generator (the critical path) keeps a core."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    os.nice(HELPER_NICENESS)


def helper_main(parent: int, target: str, *args: Any) -> None:
    """A helper process' entry point: `become_helper(parent)` first, then `target`
    ("module:function") with `args`.

    The spawned process imports only this light module before it is tied to its parent;
    the helper's own module (the projector's, the publisher's: seconds of imports on a
    busy machine) comes after, so a backfill killed meanwhile takes its helpers with it.
    """
    become_helper(parent)
    module, _, name = target.partition(":")
    getattr(importlib.import_module(module), name)(*args)


def start_helper(process: BaseProcess) -> None:
    """Start a spawned helper process without running the parent's main script in it.

    A spawned child runs the parent's `__main__` file again (as `__mp_main__`) before
    anything else, so that objects defined there can be unpickled; for `crm` that script
    imports the whole CLI (typer, rich, every command module): seconds of a helper's CPU
    on a busy machine, before it is even tied to its parent. No helper's target lives in
    `__main__`, so the main file is left out of what the child is told to prepare.
    """
    main = sys.modules["__main__"]
    path = main.__dict__.pop("__file__", None)
    try:
        process.start()
    finally:
        if path is not None:
            main.__file__ = path


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident memory (VmHWM) of a live process (this one by default), MiB; 0 when
    unknown.

    VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across fork + exec, so a
    child would report its parent's peak whenever that was higher.
    """
    try:
        status = Path(f"/proc/{pid or 'self'}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            with contextlib.suppress(ValueError, IndexError):
                return int(line.split()[1]) / 1024
    return 0.0
