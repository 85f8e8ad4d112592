"""Local durability: the embedded broker's log survives `crm down` / `crm up`.

`save()` mirrors every topic into CRM_HOME/archive before the broker stops; `load()`
produces the archive back into a freshly started, empty broker. Records regain their
original partitions and offsets, so stored projector and worker positions stay valid.

A torn archive file (a partial block at its end) is repaired by both before anything
else (archive/torn_tail.py): its complete blocks are kept, the cut bytes are kept
beside it as `NNNN.avro.torn-<time>`, and each cut is logged as a warning. A broker that
still holds the log then gives the cut records back to the archive; an empty one cannot,
and `load` says that those records are lost and what to do about the read tables.

`crm run --role projector` archives continuously in local mode (`ContinuousArchive`,
every `ARCHIVE_INTERVAL` seconds), so a crashed broker loses at most that much of the
log; `archive_lag` (shown by `crm status`) says how far the archive is behind the broker.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from dataclasses import dataclass

from archive.log import Archiver, archive_lock, archived_counts, repair_archive, restore
from crm.config import Settings
from events.admin import ensure_topics
from events.topics import COMMANDS, TOPICS
from kafka_client.offsets import log_ends
from localstack.stack import StackInfo

log = logging.getLogger(__name__)
# Each archive pass reads every partition's end (a scan of the partition on Tansu), as the
# backfill's archiver does every 5 s (backfill/followers.py): at most this much of the log is
# lost when the embedded broker crashes.
ARCHIVE_INTERVAL = 5.0


def save(settings: Settings, stack: StackInfo) -> int:
    """Archive what the embedded broker holds beyond the archive; returns records added.

    Torn archive files are repaired first and refilled from the broker."""
    if not stack.embedded_kafka:
        return 0
    ensure_topics(stack.kafka_bootstrap)
    archiver = Archiver(settings.archive_dir, stack.kafka_bootstrap)
    try:
        return archiver.catch_up()
    finally:
        archiver.close()


def load(settings: Settings, stack: StackInfo) -> int:
    """Restore the archive into an empty embedded broker; returns records restored.

    Torn files are repaired first. When the broker still holds the log (it was never
    stopped) nothing is restored, and a repaired file is refilled from it instead."""
    if not stack.embedded_kafka or not settings.archive_dir.exists():
        return 0
    with archive_lock(settings.archive_dir):
        repairs = repair_archive(settings.archive_dir)
    if not any(settings.archive_dir.glob("*/*.avro")):  # (counting it would read it again)
        return 0
    ensure_topics(stack.kafka_bootstrap)
    if log_ends(stack.kafka_bootstrap, [(COMMANDS, 0)])[(COMMANDS, 0)] > 0:
        if repairs:  # the running broker still has what the cut lost: archive it again
            save(settings, stack)
        return 0
    restored = restore(settings.archive_dir, stack.kafka_bootstrap)
    if repairs:
        log.warning(
            "the broker was empty, so the records cut from %d archive file(s) are not in "
            "the restored log; the read tables may still show what they projected from "
            "them: `crm rebuild` projects the restored log afresh", len(repairs))
    return restored


@dataclass(frozen=True)
class ArchiveLag:
    """How far the archive is behind the embedded broker."""

    on_broker: int  # records the broker holds, every partition
    archived: int  # records in the archive
    behind: int  # records on the broker not archived yet
    partitions_behind: int

    def describe(self) -> str:
        """`N records behind the broker (M partitions)` or `up to date`."""
        if not self.behind:
            return f"up to date ({self.archived:,} records)"
        return (f"{self.behind:,} records behind the broker "
                f"({self.partitions_behind} partitions; {self.archived:,} archived)")


def archive_lag(settings: Settings, stack: StackInfo) -> ArchiveLag | None:
    """The archive's lag behind the embedded broker; None when the broker is not ours."""
    if not stack.embedded_kafka:
        return None
    ends = log_ends(stack.kafka_bootstrap, [(s.name, p) for s in TOPICS
                                            for p in range(s.partitions)])
    counts = archived_counts(settings.archive_dir) if settings.archive_dir.exists() else {}
    gaps = [end - counts.get(tp, 0) for tp, end in ends.items() if end > counts.get(tp, 0)]
    return ArchiveLag(sum(ends.values()), sum(counts.values()), sum(gaps), len(gaps))


class ContinuousArchive:
    """Archive the embedded broker's log every `interval` seconds, in a process of its
    own (localstack/archive_follower.py: a pass no longer holds the projector's GIL).

    The archive lock serialises it with `crm down` and a backfill's archiver. A failed
    pass (the broker restarting) is logged and tried again at the next tick.
    """

    def __init__(self, settings: Settings, stack: StackInfo,
                 interval: float = ARCHIVE_INTERVAL) -> None:
        """Nothing runs before `start()`."""
        self.settings, self.stack, self.interval = settings, stack, interval
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start archiving in the background (call it from the main thread: the process
        is killed when the thread that started it ends)."""
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "localstack.archive_follower", str(self.settings.archive_dir),
             self.stack.kafka_bootstrap, str(self.interval), str(os.getpid())],
            stdout=subprocess.PIPE)

    def stop(self) -> int:
        """Stop after a last pass; returns the records archived in all."""
        if self._proc is None:
            return 0
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
        out, _ = self._proc.communicate()
        lines = out.decode().split()
        if self._proc.returncode != 0 or not lines:
            log.warning("archive: the archiving process ended with %s", self._proc.returncode)
            return 0
        return int(lines[-1])
