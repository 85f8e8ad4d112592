"""Local durability: the embedded broker's log survives `crm down` / `crm up`.

`save()` mirrors every topic into CRM_HOME/archive before the broker stops; `load()`
produces the archive back into a freshly started, empty broker. Records regain their
original partitions and offsets, so stored projector and worker positions stay valid.

A torn archive file (a partial block at its end) is repaired by both before anything
else (producers/archive_tail.py): its complete blocks are kept, the cut bytes are kept
beside it as `NNNN.avro.torn-<time>`, and each cut is logged as a warning. A broker that
still holds the log then gives the cut records back to the archive; an empty one cannot,
and `load` says that those records are lost and what to do about the read tables.
"""

from __future__ import annotations

import logging

from crm.config import Settings
from crm.localstack import StackInfo
from events.admin import ensure_topics
from events.topics import COMMANDS
from producers.archive import Archiver, archive_lock, archived_counts, repair_archive, restore
from producers.offsets import log_ends

log = logging.getLogger(__name__)


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
    if not archived_counts(settings.archive_dir):
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
