"""Local durability: the embedded broker's log survives `crm down` / `crm up`.

`save()` mirrors every topic into CRM_HOME/archive before the broker stops; `load()`
produces the archive back into a freshly started, empty broker. Records regain their
original partitions and offsets, so stored projector and worker positions stay valid.
"""

from __future__ import annotations

from crm.config import Settings
from crm.localstack import StackInfo
from events.admin import ensure_topics
from events.topics import COMMANDS
from producers.archive import Archiver, archived_counts, restore
from producers.offsets import log_ends


def save(settings: Settings, stack: StackInfo) -> int:
    """Archive what the embedded broker holds beyond the archive; returns records added."""
    if not stack.embedded_kafka:
        return 0
    ensure_topics(stack.kafka_bootstrap)
    archiver = Archiver(settings.archive_dir, stack.kafka_bootstrap)
    try:
        return archiver.catch_up()
    finally:
        archiver.close()


def load(settings: Settings, stack: StackInfo) -> int:
    """Restore the archive into an empty embedded broker; returns records restored."""
    if not stack.embedded_kafka or not settings.archive_dir.exists():
        return 0
    if not archived_counts(settings.archive_dir):
        return 0
    ensure_topics(stack.kafka_bootstrap)
    if log_ends(stack.kafka_bootstrap, [(COMMANDS, 0)])[(COMMANDS, 0)] > 0:
        return 0  # the broker still holds the log (it was never stopped)
    return restore(settings.archive_dir, stack.kafka_bootstrap)
