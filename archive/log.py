"""The local log archive: every topic partition mirrored to an Avro container file.

The embedded broker keeps nothing on disk (design.md principle 6), so in local mode the
archive is the durable copy of the log. `Archiver.catch_up()` appends what is new in each
partition (the file's record count is its next offset); `restore()` produces the records
back into an empty broker partition by partition, in order, so every record gets its
original offset again and the projectors' stored positions stay valid.

A torn file (a partial block at its end: a process killed mid-append) is repaired before
anything is appended to it (`repair_archive`, archive/torn_tail.py): its complete
blocks are kept, the rest is moved beside it, and the archiver then appends again from
the running broker what the cut lost. Reading never fails on a torn tail: it stops at the
last complete block.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
from confluent_kafka import Consumer, Producer, TopicPartition

from archive.blocks import RECORD, Row, container_bytes
from archive.torn_tail import TornTail, repair, scan
from events.topics import TOPICS
from kafka_client.offsets import partition_ends

__all__ = ["RECORD", "Archiver", "archive_lock", "archived_counts", "read_partition",
           "repair_archive", "restore"]
log = logging.getLogger(__name__)

def _path(root: Path, topic: str, partition: int) -> Path:
    return root / topic / f"{partition:04d}.avro"


@contextlib.contextmanager
def archive_lock(root: Path) -> Iterator[None]:
    """One writer (or repairer) at a time: two appending to one file would corrupt it."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        yield


def read_partition(root: Path, topic: str, partition: int) -> Iterator[dict[str, Any]]:
    """The archived records of one partition, in offset order (complete blocks only)."""
    path = _path(root, topic, partition)
    if not path.exists():
        return
    blocks = scan(path).blocks
    if not blocks:
        return
    with path.open("rb") as fh:  # never ask fastavro for the block after the last whole one
        for block in itertools.islice(fastavro.block_reader(fh), blocks):
            yield from block


def repair_archive(root: Path) -> list[TornTail]:
    """Cut the torn tail off every archive file that has one; the caller holds
    `archive_lock`. Each repair is logged as a warning naming the file and the bytes cut."""
    repairs = []
    for spec in TOPICS:
        for partition in range(spec.partitions):
            path = _path(root, spec.name, partition)
            if path.exists() and (tail := repair(path)) is not None:
                log.warning("%s", tail.describe())
                repairs.append(tail)
    return repairs


def archived_counts(root: Path, known: dict[Path, tuple[int, int]] | None = None,
                    ) -> dict[tuple[str, int], int]:
    """Records archived per (topic, partition).

    `known` maps a file to (size, records) as last seen: a file still of that size is not
    read again (reading every block is linear in the archive, and the backfill's archiver
    asks once a second). Updated in place.
    """
    counts = {}
    known = {} if known is None else known
    for spec in TOPICS:
        for partition in range(spec.partitions):
            path = _path(root, spec.name, partition)
            if not path.exists():
                continue
            size = path.stat().st_size
            seen = known.get(path)
            if seen is None or seen[0] != size:  # block headers only: nothing decompressed
                found = scan(path)
                seen = (size, found.records)
                if not found.torn:  # a torn file is looked at again (after its repair)
                    known[path] = seen
            counts[(spec.name, partition)] = seen[1]
    return counts


class Archiver:
    """Append new records of every topic partition to the archive."""

    def __init__(self, root: Path, bootstrap: str, extra: dict[str, Any] | None = None):
        self.root = root
        self.repairs: list[TornTail] = []  # torn tails cut before appending (see catch_up)
        self._repaired = False
        self._known: dict[Path, tuple[int, int]] = {}  # archive file -> (size, records)
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "crm-archiver",
                                   "enable.auto.commit": False, **(extra or {})})

    def close(self) -> None:
        """Release the consumer."""
        self._consumer.close()

    def catch_up(self) -> int:
        """Archive everything up to the current end of each partition; returns records added.

        Torn files are repaired first (`self.repairs` lists them): appending after a partial
        block would bury it mid-file. What a cut lost is appended again from the broker.
        """
        with archive_lock(self.root):
            if self._repaired:  # later passes append to files known whole
                return self._catch_up()
            repairs = repair_archive(self.root)
            self._repaired = True
            added = self._catch_up()
            for tail in repairs:
                now = self._known.get(tail.path, (0, tail.records_kept))[1]
                log.warning("archive file %s: %s", tail.path, (
                    f"{now - tail.records_kept:,} records archived again from the broker, "
                    f"{now:,} in the file now") if now > tail.records_kept else
                    "the broker does not hold the records cut: they are not in the log")
            self.repairs.extend(repairs)
            return added

    def _catch_up(self) -> int:
        counts = archived_counts(self.root, self._known)
        ends = partition_ends(self._consumer, [(s.name, p) for s in TOPICS
                                               for p in range(s.partitions)])
        todo = {tp: (counts.get(tp, 0), high) for tp, high in ends.items()
                if high > counts.get(tp, 0)}
        if not todo:
            return 0
        # One assignment for every partition: a fetch session per partition costs ~0.5 s.
        self._consumer.assign([TopicPartition(t, p, start) for (t, p), (start, _) in todo.items()])
        records: dict[tuple[str, int], list[Row]] = {tp: [] for tp in todo}
        missing = sum(high - start for start, high in todo.values())
        added = 0
        while missing > 0:
            for msg in self._consumer.consume(num_messages=min(missing, 50_000), timeout=1.0):
                tp = (msg.topic(), msg.partition())
                if msg.error() or tp not in todo:
                    continue
                start, high = todo[tp]
                batch = records[tp]
                offset = msg.offset()
                if offset >= high:
                    continue
                if offset != start + len(batch):
                    raise RuntimeError(f"{tp}: expected offset {start + len(batch)}, "
                                       f"got {offset}")
                batch.append((offset, msg.key(), msg.value(), msg.timestamp()[1],
                              msg.headers()))
                missing -= 1
                if len(batch) >= 20_000:  # bounded memory on long logs
                    self._append(*tp, batch)
                    todo[tp] = (start + len(batch), high)
                    added += len(batch)
                    records[tp] = []
        self._consumer.unassign()
        for (topic, partition), batch in records.items():
            if batch:
                self._append(topic, partition, batch)
        return added + sum(map(len, records.values()))

    def _write(self, topic: str, partition: int, records: list[dict[str, Any]]) -> None:
        """Append archive records given as dicts (`RECORD`'s fields)."""
        self._append(topic, partition, [(r["offset"], r["key"], r["value"], r["timestamp_ms"],
                                         list(r["headers"].items())) for r in records])

    def _append(self, topic: str, partition: int, rows: list[Row]) -> None:
        """Append rows to the partition's file: whole blocks, fsynced, or nothing at all.

        Encoded and cut into blocks here (archive/blocks.py) rather than by fastavro's
        writer from a dict per record: the archiver's share of the backfill's CPU
        (docs/benchmarks.md, backfill item 20).
        """
        path = _path(self.root, topic, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = "a+b" if path.exists() else "wb"
        before = self._known.get(path, (0, 0))[1] if path.exists() else 0
        with path.open(mode) as fh:
            size = fh.seek(0, os.SEEK_END)
            try:
                fh.write(container_bytes(fh, size, rows))
                fh.flush()
                os.fsync(fh.fileno())
            except BaseException:  # a failed append leaves no partial block behind
                fh.truncate(size)
                raise
        self._known[path] = (path.stat().st_size, before + len(rows))


def restore(root: Path, bootstrap: str, extra: dict[str, Any] | None = None) -> int:
    """Produce the archive into empty topics, each record to its original partition."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                         "linger.ms": 5, **(extra or {})})
    failures: list[str] = []
    restored = 0

    def report(err: Any, msg: Any) -> None:
        if err is not None:
            failures.append(str(err))

    for spec in TOPICS:
        for partition in range(spec.partitions):
            for record in read_partition(root, spec.name, partition):
                while True:
                    try:
                        producer.produce(spec.name, record["value"], record["key"],
                                         partition=partition, on_delivery=report,
                                         headers=list(record["headers"].items()) or None,
                                         timestamp=record["timestamp_ms"])
                        break
                    except BufferError:
                        producer.poll(0.05)
                producer.poll(0)
                restored += 1
    if producer.flush(120) or failures:
        raise RuntimeError(f"archive restore incomplete: {failures[:3]}")
    return restored
