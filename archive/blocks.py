"""The bytes the archiver appends to a partition's file: Avro container blocks of records.

fastavro's `writer` built a dict per record and walked the schema for each; the archiver
encodes its few fixed fields itself (events/avro_writer.py's varints) and cuts blocks where
fastavro's writer would (every 16,000 bytes of records), in the file's own codec: snappy
for new files, deflate or none for archives written before (appending keeps a file's
codec, as fastavro did). A new file gets fastavro's header with a random sync marker; an
existing one is continued with the marker its header names.
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

import fastavro
from fastavro.write import Writer

from archive.torn_tail import _header_end
from events.avro_writer import blob, small_long, snappy_block, text, varint

RECORD = fastavro.parse_schema({
    "type": "record", "name": "ArchivedRecord", "namespace": "genims.crm.archive",
    "fields": [
        {"name": "offset", "type": "long"},
        {"name": "key", "type": ["null", "bytes"], "default": None},
        {"name": "value", "type": "bytes"},
        {"name": "timestamp_ms", "type": "long"},
        {"name": "headers", "type": {"type": "map", "values": "bytes"}, "default": {}},
    ],
})
CODEC = "snappy"  # new files: 42 % less CPU than deflate level 1, files 30 % larger
BLOCK_BYTES = 16_000  # fastavro's default sync interval
# offset, key, value, timestamp (ms), headers as Kafka gives them (None or (name, value)s)
Row = tuple[int, bytes | None, bytes, int, list[tuple[str, bytes]] | None]


def encode_row(row: Row) -> bytes:
    """One `RECORD` in Avro binary, as fastavro writes it."""
    offset, key, value, timestamp_ms, headers = row
    parts = [small_long(offset), b"\x00" if key is None else b"\x02" + blob(key), blob(value),
             small_long(timestamp_ms)]
    if headers:
        entries = dict(headers)  # a repeated header name keeps its last value, as before
        parts.append(varint(len(entries)))
        for name, data in entries.items():
            parts.append(text(name) + blob(data))
    parts.append(b"\x00")
    return b"".join(parts)


def container_bytes(fh: BinaryIO, size: int, rows: list[Row]) -> bytes:
    """What to append to the file `fh` of `size` bytes (0: a new file, header first)."""
    out = bytearray()
    if size == 0:
        header = io.BytesIO()
        writer = Writer(header, RECORD, codec=CODEC)
        writer.flush()
        out += header.getvalue()
        codec, sync = CODEC, writer.sync_marker
    else:
        fh.seek(0)
        found = _header_end(fh, size)
        if found is None:
            raise ValueError(f"{getattr(fh, 'name', 'archive file')} has no usable header")
        end, sync = found
        fh.seek(0)
        codec = fastavro.reader(io.BytesIO(fh.read(end))).codec
        fh.seek(size)
    block = bytearray()
    count = 0
    for row in rows:
        block += encode_row(row)
        count += 1
        if len(block) >= BLOCK_BYTES:
            out += _block(codec, count, block, sync)
            block.clear()
            count = 0
    if count:
        out += _block(codec, count, block, sync)
    return bytes(out)


def _block(codec: str, count: int, data: bytearray, sync: bytes) -> bytes:
    if codec == "snappy":
        return snappy_block(count, data, sync)
    if codec == "deflate":  # raw deflate, as fastavro writes it (zlib's wrapper cut off)
        packed = zlib.compress(bytes(data))[2:-1]
    elif codec == "null":
        packed = bytes(data)
    else:
        raise ValueError(f"archive file codec {codec!r} cannot be appended to")
    return varint(count) + varint(len(packed)) + packed + sync
