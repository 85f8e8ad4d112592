"""The projector and the archiver of a backfill, each in a process of its own.

They follow the topics while the history is generated and published, so projecting and
archiving overlap generation on the second core instead of waiting for it (the 180-day
backfill: 78 s sequential, docs/benchmarks.md). When the publisher has flushed, the
backfill sets `published`; each follower then catches up to the end of the log and
reports.

A follower dies with its parent (PR_SET_PDEATHSIG): a `kill -9` of `crm backfill` leaves
no orphan writing rows or archive files behind, and the rerun starts from what was
committed. Followers (and the publisher process, which shares these helpers) run at
niceness 10: both cores are busy during a backfill, and the generator is its critical
path.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import Any

from crm.bootstrap import Services

_PR_SET_PDEATHSIG = 1
FOLLOWER_NICENESS = 10
# Each archive pass reads every partition's end, a scan of the partition on Tansu.
FOLLOW_INTERVAL = 5.0  # seconds between archive passes while the log still grows
# The projector follows a log that grows by ~10k records/s: asking for a full megabyte
# (or half a second) per fetch means ~10x fewer fetches and transactions of whole
# batches: broker CPU 3.1 -> 1.7 s, PostgreSQL 3.4 -> 2.2 s at 90 days.
FOLLOW_FETCH = {"fetch.wait.max.ms": 500, "fetch.min.bytes": 1 << 20}


@dataclass
class Follower:
    """A running follower process and what it shares with the backfill."""

    role: str
    process: SpawnProcess
    progress: Any  # multiprocessing.Value('q'): events projected / records archived
    results: Any  # multiprocessing.Queue: one dict when done


@dataclass
class FollowerResult:
    """What a follower reports when it is done."""

    role: str
    count: int = 0
    rows: int = 0
    peak_rss_mb: float = 0.0
    cpu_s: float = 0.0
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def start(ctx: SpawnContext, role: str, services: Services, published: Any) -> Follower:
    """Spawn the `projector` or `archiver` follower for the stack of `services`."""
    progress = ctx.Value("q", 0)
    results = ctx.Queue()
    process = ctx.Process(target=_main, name=f"crm-backfill-{role}", daemon=True,
                          args=(role, services.settings, services.stack, published, progress,
                                results, os.getpid()))
    process.start()
    return Follower(role, process, progress, results)


def finish(follower: Follower, timeout: float = 3600,
           tick: Callable[[], None] | None = None) -> FollowerResult:
    """Wait for the follower's report (calling `tick` twice a second); raise if it failed
    or died."""
    deadline = time.monotonic() + timeout
    while True:
        if tick is not None:
            tick()
        with contextlib.suppress(Exception):
            result: FollowerResult = follower.results.get(timeout=0.5)
            follower.process.join(30)
            if result.error:
                raise RuntimeError(f"backfill {follower.role} failed:\n{result.error}")
            return result
        if not follower.process.is_alive():
            raise RuntimeError(f"backfill {follower.role} exited with code "
                               f"{follower.process.exitcode} before finishing")
        if time.monotonic() > deadline:
            follower.process.kill()
            raise TimeoutError(f"backfill {follower.role} did not finish in {timeout:.0f}s")


def stop(follower: Follower) -> None:
    """End a follower now (the backfill failed or was interrupted)."""
    if follower.process.is_alive():
        follower.process.kill()
    follower.process.join(10)


def become_helper(parent: int) -> None:
    """Set up a helper process of the backfill: the kernel kills it when `parent` dies,
    and it runs at FOLLOWER_NICENESS, so the generator (the critical path) keeps a core."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)
    os.nice(FOLLOWER_NICENESS)


def _main(role: str, settings: Any, stack: Any, published: Any, progress: Any,
          results: Any, parent: int) -> None:
    become_helper(parent)
    services = Services(settings, stack)
    try:
        result = _project(services, published, progress) if role == "projector" \
            else _archive(services, published, progress)
    except BaseException:  # reported to the parent, which raises it there
        result = FollowerResult(role, error=traceback.format_exc())
    results.put(result)


def cpu_s() -> float:
    """CPU seconds (user + system) this process has used so far."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mb() -> float:
    """This process' peak resident memory (VmHWM), MiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _project(services: Services, published: Any, progress: Any) -> FollowerResult:
    from projectors.runner import Projector

    projector = Projector(services.engine, services.bootstrap, codec=services.codec,
                          extra={**FOLLOW_FETCH, **services.kafka_extra})
    try:
        def report(n: int) -> None:
            progress.value = n

        projector.follow(published.is_set, progress=report)
        projector.catch_up(timeout=3600, progress=report)
    finally:
        projector.close()
    return FollowerResult("projector", projector.stats.events, projector.stats.rows,
                          peak_rss_mb(), cpu_s=cpu_s(),
                          extra={"batches": projector.stats.batches})


def _archive(services: Services, published: Any, progress: Any) -> FollowerResult:
    from archive.log import Archiver

    archiver = Archiver(services.settings.archive_dir, services.bootstrap)
    added = 0
    try:
        while not published.wait(FOLLOW_INTERVAL):
            added += archiver.catch_up()
            progress.value = added
        added += archiver.catch_up()
    finally:
        archiver.close()
    return FollowerResult("archiver", added, 0, peak_rss_mb(), cpu_s=cpu_s())
