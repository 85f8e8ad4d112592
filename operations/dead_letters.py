"""`crm dlq list` and `crm dlq redrive`: look at dead letters, and re-drive them after a fix.

A dead letter (`events.dlq.DeadLetter`) is a message some consumer could not use, kept
whole on `crm.dead-letter`: its original key and bytes, the reason and where it came
from (headers). Listing reads the newest ones without joining a consumer group.

Re-driving publishes a letter's original bytes, unchanged, back to its source topic and
partition, with a `dlq.redriven-from` header naming the dead letter. The dead letter
itself stays where it is (the topic is the record of what went wrong). By default only
letters that now decode are re-driven (the fix was a new schema, an upcaster, a codec
change); the rest are reported as still broken. A letter the projector set aside because
the read model refused it (projectors/refusals.py) decodes already: with a `check` (the
CLI passes one on the database) it is re-driven only once the read model would take it.
Re-driving the same letter twice is harmless: inputs are deduplicated by event id in the
core, and projected events by aggregate version, so a second copy changes nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from rich.console import Console
from rich.table import Table

from domain.kernel.messages import Event
from events.codec import AvroCodec, DecodeError
from events.dlq import DeadLetter
from events.topics import DEAD_LETTER, TOPICS
from kafka_client.offsets import partition_ends
from producers.kafka import MessageProducer
from producers.partitioner import partition_for

REDRIVEN_FROM = "dlq.redriven-from"
REFUSED_BY_READ_MODEL = "the read model refused "  # projectors.refusals.REFUSAL


@dataclass(frozen=True)
class DlqEntry:
    """One record of the dead-letter topic: its position there and the letter."""

    partition: int
    offset: int
    timestamp_ms: int
    letter: DeadLetter

    @property
    def ref(self) -> str:
        """`partition@offset` on the dead-letter topic (what `redrive --offset` takes)."""
        return f"{self.partition}@{self.offset}"

    @property
    def at(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, UTC)


@dataclass
class RedriveReport:
    """What a re-drive did."""

    redriven: list[DlqEntry] = field(default_factory=list)
    still_broken: list[tuple[DlqEntry, str]] = field(default_factory=list)
    dry_run: bool = False


def list_dead_letters(bootstrap: str, extra: dict[str, Any] | None = None,
                      limit: int | None = 100, source_topic: str | None = None,
                      topic: str = DEAD_LETTER, timeout: float = 10.0) -> list[DlqEntry]:
    """The newest `limit` dead letters (all with None), oldest first.

    Each partition's newest `limit` offsets are read, and further back where they held
    fewer letters: on Apache Kafka the core writes its dead letters in transactions,
    whose markers take offsets too."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"dlq-{uuid.uuid4().hex}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         **(extra or {})})
    try:
        metadata = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
        if metadata is None or metadata.error is not None:
            return []
        partitions = sorted(metadata.partitions)
        highs = partition_ends(consumer, [(topic, p) for p in partitions], timeout)
        lows, ranges = {}, {}
        for partition in partitions:
            lows[partition], _ = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=timeout)
            high = highs[(topic, partition)]
            if high > lows[partition]:
                whole = limit is None or source_topic is not None
                ranges[partition] = (lows[partition] if whole else
                                     max(lows[partition], high - limit), high)
        found: list[DlqEntry] = []
        while ranges:
            read = _read_ranges(consumer, topic, ranges, timeout)
            found += [e for e in read
                      if source_topic is None or e.letter.source_topic == source_topic]
            more = {}
            for partition, (start, _) in ranges.items():
                short = (limit or 0) - sum(e.partition == partition for e in found)
                if short > 0 and start > lows[partition]:
                    more[partition] = (max(lows[partition], start - 2 * short), start)
            ranges = more
        found.sort(key=lambda e: (e.timestamp_ms, e.partition, e.offset))
        return found if limit is None else found[-limit:]
    finally:
        consumer.close()


def _read_ranges(consumer: Consumer, topic: str, ranges: dict[int, tuple[int, int]],
                 timeout: float) -> list[DlqEntry]:
    """The letters at offsets [start, end) of each partition; reads until the consumer's
    position reaches each end (markers are never delivered)."""
    consumer.assign([TopicPartition(topic, p, start) for p, (start, _) in ranges.items()])
    found: list[DlqEntry] = []
    waiting = set(ranges)
    deadline = time.monotonic() + timeout
    while waiting and time.monotonic() < deadline:
        for msg in consumer.consume(1000, timeout=0.1):
            partition, offset = msg.partition(), msg.offset()
            if msg.error() is None and offset < ranges[partition][1]:
                letter = DeadLetter.from_headers(msg.value() or b"", msg.key(), msg.headers())
                found.append(DlqEntry(partition, offset, msg.timestamp()[1], letter))
        for tp in consumer.position([TopicPartition(topic, p) for p in waiting]):
            if tp.offset >= ranges[tp.partition][1]:
                waiting.discard(tp.partition)
    consumer.unassign()
    return found


def redrive(bootstrap: str, extra: dict[str, Any] | None = None,
            codec: AvroCodec | None = None, refs: Collection[str] | None = None,
            source_topic: str | None = None, force: bool = False,
            dry_run: bool = False, topic: str = DEAD_LETTER,
            check: Callable[[Event], str | None] | None = None) -> RedriveReport:
    """Re-publish dead letters to their source topics; returns what was (or would be) sent.

    `refs` picks letters by `partition@offset` (as listed); `source_topic` by origin;
    neither: every letter. Without `force`, a letter that still does not decode with
    `codec`, or that the read model refused and `check` says it still would, is left
    alone and reported with today's reason.
    """
    codec = codec or AvroCodec()
    entries = list_dead_letters(bootstrap, extra, limit=None, source_topic=source_topic,
                                topic=topic)
    if refs is not None:
        wanted = set(refs)
        unknown = wanted - {e.ref for e in entries}
        if unknown:
            raise KeyError(f"no dead letter at {', '.join(sorted(unknown))} on {topic}")
        entries = [e for e in entries if e.ref in wanted]
    report = RedriveReport(dry_run=dry_run)
    for entry in entries:
        problem = _still_broken(codec, entry.letter, check)
        if problem is not None and not force:
            report.still_broken.append((entry, problem))
        else:
            report.redriven.append(entry)
    if dry_run or not report.redriven:
        return report
    with MessageProducer(bootstrap, codec, extra) as producer:
        for entry in report.redriven:
            letter = entry.letter
            producer.send_raw(letter.source_topic, letter.key,  # type: ignore[arg-type]
                              letter.original,
                              headers={REDRIVEN_FROM: f"{topic}/{entry.ref}".encode()},
                              partition=_partition(letter))
    return report


def _still_broken(codec: AvroCodec, letter: DeadLetter,
                  check: Callable[[Event], str | None] | None = None) -> str | None:
    if letter.source_topic not in {spec.name for spec in TOPICS}:
        return f"source topic {letter.source_topic!r} is not in the topic map"
    try:
        message = codec.decode(letter.original)
    except DecodeError as exc:
        return exc.reason
    if check is not None and isinstance(message, Event) and \
            letter.reason.startswith(REFUSED_BY_READ_MODEL):
        return check(message)
    return None


def _key(key: bytes | None) -> str | None:
    return None if key is None else key.decode(errors="replace")


def _partition(letter: DeadLetter) -> int:
    """The letter's own partition (its aggregate's), else where its key belongs; -1 (the
    producer's choice) for a source topic that is not ours (`redrive --force`)."""
    count = next((s.partitions for s in TOPICS if s.name == letter.source_topic), None)
    if count is None:
        return -1
    if 0 <= letter.source_partition < count:
        return letter.source_partition
    if letter.key is None:
        return -1
    return partition_for(letter.source_topic, letter.key)


# -- printing (for the CLI) ---------------------------------------------------------------


def print_dead_letters(console: Console, entries: Iterable[DlqEntry],
                       reason_width: int = 100) -> None:
    """A table of dead letters: where, when, from where, key, size, reason."""
    table = Table("ref", "at (UTC)", "source", "key", "bytes", "reason",
                  title=f"dead letters on {DEAD_LETTER}")
    count = 0
    for e in entries:
        count += 1
        letter = e.letter
        reason = letter.reason if len(letter.reason) <= reason_width else \
            letter.reason[: reason_width - 1] + "…"
        table.add_row(e.ref, f"{e.at:%Y-%m-%d %H:%M:%S}",
                      f"{letter.source_topic}[{letter.source_partition}]@{letter.source_offset}",
                      _key(letter.key) or "", str(len(letter.original)), reason)
    if count:
        console.print(table)
    else:
        console.print(f"no dead letters on {DEAD_LETTER}")


def print_redrive(console: Console, report: RedriveReport) -> None:
    """One line per letter re-driven (or that would be), then those still broken."""
    verb = "would re-drive" if report.dry_run else "re-drove"
    for e in report.redriven:
        console.print(f"{verb} {e.ref} -> {e.letter.source_topic}[{_partition(e.letter)}] "
                      f"({len(e.letter.original)} bytes)")
    for e, reason in report.still_broken:
        console.print(f"[yellow]still broken[/] {e.ref} ({e.letter.source_topic}): {reason}")
    console.print(f"{verb} {len(report.redriven)}; still broken {len(report.still_broken)}"
                  + ("" if report.dry_run else "; dead letters kept on the topic"))
