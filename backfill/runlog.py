"""A backfill run's log file, `<run>/log.avro`: every record in produce order.

Written through a temporary name and renamed once complete, so a crash leaves no half
file (the run is deterministic: an interrupted log is simply made again). The sync
marker is derived from the run id, so the same plan gives a byte-identical file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import fastavro
from fastavro.write import Writer

from events.avro_writer import blob, snappy_block, text

LOG_RECORD = fastavro.parse_schema({
    "type": "record", "name": "LogRecord", "namespace": "genims.crm.backfill",
    "fields": [{"name": "topic", "type": "string"}, {"name": "key", "type": "string"},
               {"name": "value", "type": "bytes"}],
})
LOG_NAME = "log.avro"
LOG_CODEC = "snappy"
SYNC_INTERVAL = 1 << 20  # bytes of records per block


Record = tuple[str, str, bytes]  # topic, key, value


class RecordSink(Protocol):
    """Where generated records go, in order; `finish` returns once they are all kept."""

    def send_all(self, records: Sequence[Record]) -> None: ...

    def finish(self) -> None: ...


class LogFile:
    """Append records to `<directory>/log.avro.tmp`; `finish` makes it `log.avro`.

    fastavro writes the header; the records are encoded and the blocks cut here, exactly
    as fastavro's `Writer` would (same bytes: tests/test_backfill_determinism.py), without
    building a dict per record and walking the schema for it, on the generator's critical
    path (docs/benchmarks.md, backfill item 17).
    """

    def __init__(self, directory: Path, run_id: str) -> None:
        self._path = directory / LOG_NAME
        self._tmp = directory / f"{LOG_NAME}.tmp"
        self._fh = self._tmp.open("wb")
        # snappy (Avro's standard codec, via cramjam): much less CPU than deflate for a
        # somewhat larger file, on the generator's critical path (docs/benchmarks.md, 14)
        self._sync = hashlib.sha256(run_id.encode()).digest()[:16]
        Writer(self._fh, LOG_RECORD, codec=LOG_CODEC, sync_marker=self._sync)  # the header
        self._block = bytearray()
        self._count = 0
        self._topics: dict[str, bytes] = {}

    def send(self, topic: str, key: str, value: bytes) -> None:
        """Append one record."""
        self.send_all(((topic, key, value),))

    def send_all(self, records: Sequence[Record]) -> None:
        """Append records, in order."""
        block, topics = self._block, self._topics
        for topic, key, value in records:
            encoded = topics.get(topic)
            if encoded is None:
                encoded = topics[topic] = text(topic)
            block += encoded
            block += text(key)
            block += blob(value)
            self._count += 1
            if len(block) >= SYNC_INTERVAL:  # where fastavro's Writer ends a block
                self._dump()

    def _dump(self) -> None:
        self._fh.write(snappy_block(self._count, self._block, self._sync))
        self._block.clear()
        self._count = 0

    def finish(self) -> None:
        """Flush, fsync and rename: the complete log, atomically."""
        if self._count:
            self._dump()
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._tmp.replace(self._path)

    def abandon(self) -> None:
        """Close without completing (the run failed; a rerun starts the file again)."""
        self._fh.close()


def read_log(directory: Path) -> Iterator[dict[str, Any]]:
    """The generated records, in produce order."""
    with (directory / LOG_NAME).open("rb") as fh:
        yield from fastavro.reader(fh)
