"""A backfill run's log file, `<run>/log.avro`: every record in produce order.

Written through a temporary name and renamed once complete, so a crash leaves no half
file (the run is deterministic: an interrupted log is simply made again). The sync
marker is derived from the run id, so the same plan gives a byte-identical file.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import fastavro
from fastavro.write import Writer

LOG_RECORD = fastavro.parse_schema({
    "type": "record", "name": "LogRecord", "namespace": "genims.crm.backfill",
    "fields": [{"name": "topic", "type": "string"}, {"name": "key", "type": "string"},
               {"name": "value", "type": "bytes"}],
})
LOG_NAME = "log.avro"
LOG_CODEC = "snappy"


class RecordSink(Protocol):
    """Where generated records go, in order; `finish` returns once they are all kept."""

    def send(self, topic: str, key: str, value: bytes) -> None: ...

    def finish(self) -> None: ...


class LogFile:
    """Append records to `<directory>/log.avro.tmp`; `finish` makes it `log.avro`."""

    def __init__(self, directory: Path, run_id: str) -> None:
        self._path = directory / LOG_NAME
        self._tmp = directory / f"{LOG_NAME}.tmp"
        self._fh = self._tmp.open("wb")
        # snappy (Avro's standard codec, via cramjam): much less CPU than deflate for a
        # somewhat larger file, on the generator's critical path (docs/benchmarks.md, 14)
        self._writer = Writer(self._fh, LOG_RECORD, codec=LOG_CODEC, sync_interval=1 << 20,
                              sync_marker=hashlib.sha256(run_id.encode()).digest()[:16])

    def send(self, topic: str, key: str, value: bytes) -> None:
        """Append one record."""
        self._writer.write({"topic": topic, "key": key, "value": value})

    def finish(self) -> None:
        """Flush, fsync and rename: the complete log, atomically."""
        self._writer.flush()
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
