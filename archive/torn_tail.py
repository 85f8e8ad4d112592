"""Torn archive files: find the last complete block of an Avro container file, cut the rest.

An archive file is appended block by block (fastavro writer, then fsync). A process killed
in the middle of an append, or a disk that lost the last writes, leaves a partial block at
the end; fastavro then fails on the whole file (`snappy: corrupt input`, `expected sync
marker not found`). Like Kafka recovering its log tail on start, `repair()` keeps every
complete block, moves the bytes after them to `NNNN.avro.torn-<UTC time>` beside the file
and truncates the file there.

The scan reads only block headers and sync markers (no decompression): a block counts as
complete when its declared length fits in the file and the file's sync marker follows it;
the last complete block is also decoded once, so a block whose length and marker survived
but whose data did not is cut too.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import fastavro
import fastavro.read

MAGIC = b"Obj\x01"
SYNC_SIZE = 16


@dataclass(frozen=True)
class Scan:
    """What an archive file holds: complete blocks and where the last one ends."""

    size: int  # bytes in the file
    good_end: int  # bytes up to the end of the last complete block (0: no usable header)
    records: int  # records in the complete blocks
    blocks: int  # complete blocks
    torn_records: int | None  # the incomplete block's declared count, when readable

    @property
    def torn(self) -> bool:
        """True when bytes follow the last complete block, or the header is incomplete
        (an empty file included: appending to it would fail)."""
        return self.good_end < self.size or self.good_end == 0


@dataclass(frozen=True)
class TornTail:
    """One repair: which file, how many bytes were cut, where they were kept."""

    path: Path
    size_before: int
    bytes_cut: int
    records_kept: int
    records_torn: int | None  # declared by the cut block's header, if it was readable
    torn_copy: Path | None  # None when nothing but an empty file was removed

    def describe(self) -> str:
        """One line for the user: file, bytes cut, records kept, where the cut bytes are."""
        lost = ("" if self.records_torn is None
                else f", the cut block held {self.records_torn:,} records")
        kept = f"kept in {self.torn_copy.name}" if self.torn_copy else "nothing to keep"
        return (f"archive file {self.path} was torn: cut {self.bytes_cut:,} of "
                f"{self.size_before:,} bytes after its last complete block "
                f"({self.records_kept:,} records kept{lost}; cut bytes {kept})")


def _varint(fh: BinaryIO) -> int | None:
    """An Avro long (zig-zag varint), or None at end of file or on an overlong varint."""
    shift = result = 0
    for _ in range(10):
        byte = fh.read(1)
        if not byte:
            return None
        result |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return (result >> 1) ^ -(result & 1)
        shift += 7
    return None


def _header_end(fh: BinaryIO, size: int | None = None) -> tuple[int, bytes] | None:
    """(offset after the header, sync marker), or None if the header is incomplete or
    unusable (no schema fastavro can read, an unknown codec)."""
    found = _header_layout(fh, size)
    if found is None:
        return None
    fh.seek(0)
    try:
        header = fastavro.reader(io.BytesIO(fh.read(found[0])))
        usable = header.codec in fastavro.read.BLOCK_READERS
    except Exception:  # whatever fastavro makes of scribbled metadata
        usable = False
    fh.seek(found[0])
    return found if usable else None


def _header_layout(fh: BinaryIO, size: int | None) -> tuple[int, bytes] | None:
    """Where the header ends by its structure alone (magic, metadata map, sync marker)."""
    if fh.read(4) != MAGIC:
        return None
    while True:  # the metadata map: blocks of entries, a zero count ends it
        count = _varint(fh)
        if count is None:
            return None
        if count == 0:
            break
        if count < 0:  # a negative count is followed by the block's size in bytes
            count = -count
            if _varint(fh) is None:
                return None
        for _ in range(2 * count):  # key, value: each a length-prefixed string
            length = _varint(fh)
            if length is None or length < 0 or (size is not None and length > size):
                return None  # never ask read() for more than the file could hold
            if len(fh.read(length)) != length:
                return None
    sync = fh.read(SYNC_SIZE)
    return (fh.tell(), sync) if len(sync) == SYNC_SIZE else None


def scan(path: Path) -> Scan:
    """Walk the block headers of `path` (see the module docstring)."""
    size = path.stat().st_size
    ends: list[tuple[int, int]] = []  # (end offset, records so far) after each block
    torn_records = None
    with path.open("rb") as fh:
        header = _header_end(fh, size)
        if header is None:
            return Scan(size, 0, 0, 0, None)
        position, sync = header
        records = 0
        while position < size:
            count, length = _varint(fh), _varint(fh)
            if count is None or length is None or count < 0 or length < 0:
                torn_records = count if count is not None and count >= 0 else None
                break
            end = fh.tell() + length + SYNC_SIZE
            if end > size:
                torn_records = count
                break
            fh.seek(length, io.SEEK_CUR)
            if fh.read(SYNC_SIZE) != sync:
                torn_records = count
                break
            records += count
            position = end
            ends.append((end, records))
    good_end, records = ends[-1] if ends else (header[0], 0)
    if ends and not _last_block_decodes(path, header[0], ends):
        ends.pop()  # length and marker survived but the data did not: cut it too
        good_end, records = ends[-1] if ends else (header[0], 0)
        torn_records = None
    return Scan(size, good_end, records, len(ends), torn_records)


def _last_block_decodes(path: Path, header_end: int, ends: list[tuple[int, int]]) -> bool:
    """Decode the header plus the last complete block alone (one block, not the file)."""
    start = ends[-2][0] if len(ends) > 1 else header_end
    with path.open("rb") as fh:
        head = fh.read(header_end)
        fh.seek(start)
        block = fh.read(ends[-1][0] - start)
    try:
        decoded = sum(1 for _ in fastavro.reader(io.BytesIO(head + block)))
    except Exception:  # any decoder error means the block is not usable
        return False
    previous = ends[-2][1] if len(ends) > 1 else 0
    return decoded == ends[-1][1] - previous


def repair(path: Path, now: datetime | None = None) -> TornTail | None:
    """Cut a torn tail off `path` (keeping it beside the file); None when it is whole.

    A file whose header is incomplete (zero-length included) holds no record: it is moved
    aside as a whole, so the next append starts a new file.
    """
    found = scan(path)
    if not found.torn:
        return None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    copy = path.with_name(f"{path.name}.torn-{stamp}") if found.size else None
    if copy is not None:
        with path.open("rb") as src, copy.open("wb") as out:
            src.seek(found.good_end)
            while chunk := src.read(1 << 20):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    if found.good_end == 0:
        path.unlink()
    else:
        with path.open("r+b") as fh:
            fh.truncate(found.good_end)
            fh.flush()
            os.fsync(fh.fileno())
    _fsync_dir(path.parent)
    return TornTail(path, found.size, found.size - found.good_end, found.records,
                    found.torn_records, copy)


def _fsync_dir(directory: Path) -> None:
    """Make a rename, creation or removal in `directory` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
