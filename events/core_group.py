"""The core's consumer group on `crm.commands`: its committed offset is how many inputs
the rules worker has folded (the faust worker commits it as it goes).

The one module that reads or moves that offset: a restarted worker folds the inputs up to
it again before carrying on (processors/warmup.py); a backfill moves it past the history it
published, so `crm run` does not fold that history a second time (backfill/publish.py);
`crm demo`, the live figures and the HTTP API's command tracker read it to know what the
core has done.
"""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, TopicPartition

from events.topics import COMMANDS, CORE_GROUP


def core_group_consumer(bootstrap: str, extra: dict[str, Any] | None = None,
                        group: str = CORE_GROUP) -> Consumer:
    """A client in the core's group that never subscribes (it never joins the group, so it
    never takes the worker's partition) and never commits by itself: it reads or moves the
    committed offset, or reads the log by assignment."""
    return Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                     "enable.auto.commit": False, **(extra or {})})


def folded_inputs(consumer: Consumer, timeout: float = 30.0) -> int:
    """Inputs the core has folded: its group's committed offset on crm.commands (0: none)."""
    return max(_committed(consumer, timeout), 0)


def skip_inputs(consumer: Consumer, inputs: int, timeout: float = 30.0) -> None:
    """Move the group's committed offset up to `inputs` (never back), so the core does not
    fold the first `inputs` inputs again."""
    if _committed(consumer, timeout) < inputs:
        consumer.commit(offsets=[TopicPartition(COMMANDS, 0, inputs)], asynchronous=False)


def _committed(consumer: Consumer, timeout: float) -> int:
    """The raw committed offset (negative when the group has committed none)."""
    return int(consumer.committed([TopicPartition(COMMANDS, 0)], timeout=timeout)[0].offset)
