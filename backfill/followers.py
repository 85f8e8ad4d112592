"""The projector and the archiver of a backfill, each in a process of its own.

They follow the topics while the history is generated and published, so projecting and
archiving overlap generation on the second core instead of waiting for it
(docs/benchmarks.md, "Pipelined backfill"). When the publisher has flushed, the
backfill sets `published`; each follower then catches up to the end of the log and
reports. How the projector writes (one fold of a fresh backfill, else batches):
backfill/projecting.py.

A follower dies with its parent (PR_SET_PDEATHSIG): a `kill -9` of `crm backfill` leaves
no orphan writing rows or archive files behind, and the rerun starts from what was
committed. Followers (and the publisher process, which shares these helpers) run at
niceness 10: both cores are busy during a backfill, and the generator is its critical
path.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.context import SpawnContext, SpawnProcess
from typing import TYPE_CHECKING, Any

from backfill.helper_process import cpu_s, helper_main, peak_rss_mb, start_helper

if TYPE_CHECKING:  # the archiver follower never imports the composition root, which
    # imports the whole domain (seconds of a helper's CPU on a busy machine)
    from crm.bootstrap import Services

# Each archive pass reads every partition's end, a scan of the partition on Tansu.
FOLLOW_INTERVAL = 5.0  # seconds between archive passes while the log still grows


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
    process = ctx.Process(target=helper_main, name=f"crm-backfill-{role}", daemon=True,
                          args=(os.getpid(), "backfill.followers:_main", role,
                                services.settings, services.stack, published, progress,
                                results))
    start_helper(process)
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


def _main(role: str, settings: Any, stack: Any, published: Any, progress: Any,
          results: Any) -> None:
    try:
        if role == "projector":
            from crm.bootstrap import Services

            result = _project(Services(settings, stack), published, progress)
        else:
            result = _archive(settings.archive_dir, stack.kafka_bootstrap, published,
                              progress)
    except BaseException:  # reported to the parent, which raises it there
        result = FollowerResult(role, error=traceback.format_exc())
    results.put(result)


def _project(services: Services, published: Any, progress: Any) -> FollowerResult:
    from backfill.projecting import project

    def report(n: int) -> None:
        progress.value = n

    done = project(services, published.is_set, report)
    return FollowerResult("projector", done.events, done.rows, peak_rss_mb(), cpu_s=cpu_s(),
                          extra={"batches": done.batches, "mode": done.mode,
                                 "reason": done.reason})


def _archive(archive_dir: Any, bootstrap: str, published: Any,
             progress: Any) -> FollowerResult:
    from archive.log import Archiver

    archiver = Archiver(archive_dir, bootstrap)
    added = 0
    try:
        while not published.wait(FOLLOW_INTERVAL):
            added += archiver.catch_up()
            progress.value = added
        added += archiver.catch_up()
    finally:
        archiver.close()
    return FollowerResult("archiver", added, 0, peak_rss_mb(), cpu_s=cpu_s())
