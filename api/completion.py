"""When is a command's outcome complete? The tracker's bookkeeping, without Kafka.

The events of one command go to several topics and partitions and arrive at the tracker
at different times, so "some derived event was seen" does not mean "all were". A command
is complete when:

* a rejection naming it was seen (the core derives nothing else for a refused input), or
* the core's consumer group has committed past the command's offset on `crm.commands`
  (the worker flushes its producer, acks=all, before it commits: every derived event is
  then on its topic), the event topics' ends were read after that commit, and the
  tracker has consumed every event partition up to those ends.

A command finished that way with no derived event may be one the core could not use at
all: it set it aside on `crm.dead-letter` (flushed before its commit too). Only then is
the dead-letter topic asked (`complete`'s `dead_letters`), and a letter for the command's
offset makes it `dead_lettered` with the letter's reason instead of `applied`.

`Completion` keeps that state for the watched commands; the tracker feeds it what it
reads and writes each outcome once, complete. Single-threaded (the tracker's thread).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

Partition = tuple[str, int]
# offsets on crm.commands -> the reason of the dead letter the core made of that input
DeadLetters = Callable[[Collection[int]], Mapping[int, str]]


@dataclass
class Outcome:
    """What became of a command, complete: its status, and for `applied` every derived
    event id (in the order read) with the last offset per "topic/partition"."""

    command_id: str
    status: str  # applied | rejected | dead_lettered
    reason: str | None = None
    event_ids: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)


@dataclass
class _Open:
    offset: int | None = None  # on crm.commands, once read there
    event_ids: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    ends: dict[Partition, int] | None = None  # event topic ends read after the core's commit


class Completion:
    """The watched commands' partial outcomes, released when complete."""

    def __init__(self) -> None:
        self._open: dict[str, _Open] = {}
        self._consumed: dict[Partition, int] = {}  # next offset the tracker will read

    def watch(self, command_id: str) -> None:
        """Keep what is read about this command."""
        self._open.setdefault(command_id, _Open())

    def forget(self, command_id: str) -> None:
        """Stop keeping it (the watch list overflowed)."""
        self._open.pop(command_id, None)

    def watching(self, command_id: str | None) -> bool:
        """Is this command watched and not yet complete?"""
        return command_id is not None and command_id in self._open

    def open_count(self) -> int:
        """Commands watched and not yet complete."""
        return len(self._open)

    def command_read(self, command_id: str, offset: int) -> None:
        """The command itself was read on crm.commands at `offset` (the first copy counts:
        the core ignores a second copy of an input id)."""
        state = self._open.get(command_id)
        if state is not None and state.offset is None:
            state.offset = offset

    def event_read(self, command_id: str, event_id: str, partition: Partition,
                   offset: int) -> None:
        """A derived event of the command was read."""
        state = self._open.get(command_id)
        if state is None or event_id in state.event_ids:
            return
        state.event_ids.append(event_id)
        where = f"{partition[0]}/{partition[1]}"
        state.positions[where] = max(offset, state.positions.get(where, -1))

    def rejection_read(self, command_id: str, reason: str) -> Outcome | None:
        """A rejection names the command: complete at once."""
        if self._open.pop(command_id, None) is None:
            return None
        return Outcome(command_id, "rejected", reason)

    def consumed(self, partition: Partition, next_offset: int) -> None:
        """The tracker has read `partition` up to (not including) `next_offset`."""
        if next_offset > self._consumed.get(partition, -1):
            self._consumed[partition] = next_offset

    def needs_commit(self) -> bool:
        """Is any command read on crm.commands still waiting for the core's commit?"""
        return any(s.offset is not None and s.ends is None for s in self._open.values())

    def core_committed(self, committed: int,
                       ends: Callable[[], Mapping[Partition, int]]) -> None:
        """The core committed up to `committed`: the commands below it get the event
        topics' ends, read (once, by calling `ends`) after that commit was seen."""
        done = [s for s in self._open.values()
                if s.ends is None and s.offset is not None and s.offset < committed]
        if done:
            snapshot = dict(ends())
            for state in done:
                state.ends = snapshot

    def complete(self, dead_letters: DeadLetters | None = None) -> list[Outcome]:
        """The commands the core finished whose every derived event has been read
        (released): `applied`, or `dead_lettered` when one derived nothing and
        `dead_letters` (asked once, for those commands' offsets) has a letter for it."""
        ready = [cid for cid, s in self._open.items() if s.ends is not None and all(
            self._consumed.get(tp, -1) >= end for tp, end in s.ends.items())]
        silent = [s.offset for s in (self._open[cid] for cid in ready)
                  if not s.event_ids and s.offset is not None]
        reasons = dict(dead_letters(silent)) if silent and dead_letters is not None else {}
        outcomes = []
        for command_id in ready:
            state = self._open.pop(command_id)
            reason = None if state.event_ids else reasons.get(state.offset)  # type: ignore[arg-type]
            if reason is not None:
                outcomes.append(Outcome(command_id, "dead_lettered", reason))
            else:
                outcomes.append(Outcome(command_id, "applied", None, state.event_ids,
                                        state.positions))
        return outcomes
