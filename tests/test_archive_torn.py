"""A torn archive file (a partial block at its end) is cut back to its last complete block.

Real fastavro container files written the way the archiver writes them (snappy, one
append per batch), then cut at every byte, emptied, or damaged inside a block.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest import mock

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import log as archive
from archive.log import RECORD, Archiver, archived_counts, read_partition, repair_archive
from archive.torn_tail import _header_end, repair, scan

TOPIC = "crm.leads"
NOW = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)


def records(start: int, count: int) -> list[dict[str, Any]]:
    """Archive records of offsets start .. start+count-1 (values differ, some large)."""
    return [{"offset": o, "key": f"lead-{o}".encode(), "value": bytes([o % 251]) * (40 + o),
             "timestamp_ms": 1_700_000_000_000 + o, "headers": {"h": b"x"} if o % 3 else {}}
            for o in range(start, start + count)]


def write_archive(root: Path, batches: list[int]) -> tuple[Path, list[int], list[dict]]:
    """Partition 0's file appended batch by batch; returns it, each block's end, records."""
    path = root / TOPIC / "0000.avro"
    path.parent.mkdir(parents=True)
    written: list[dict[str, Any]] = []
    ends = []
    for count in batches:
        batch = records(len(written), count)
        with path.open("a+b" if path.exists() else "wb") as fh:
            fastavro.writer(fh, RECORD, batch, codec="snappy")
        written += batch
        ends.append(path.stat().st_size)
    return path, ends, written


def header_size(path: Path) -> int:
    """Bytes of the container header (magic, metadata, sync marker)."""
    with path.open("rb") as fh:
        found = _header_end(fh)
    assert found is not None
    return found[0]


def test_a_whole_file_is_left_alone_and_counted(tmp_path: Path) -> None:
    path, ends, written = write_archive(tmp_path, [20, 30, 10])
    before = path.read_bytes()
    assert scan(path).records == 60 and scan(path).blocks == 3 and not scan(path).torn
    assert repair(path, NOW) is None
    assert path.read_bytes() == before
    assert archived_counts(tmp_path) == {(TOPIC, 0): 60}
    assert list(read_partition(tmp_path, TOPIC, 0)) == written


def test_a_file_cut_anywhere_keeps_exactly_its_complete_blocks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "fsync", lambda fd: None)  # 300 repairs: durability not tested
    path, ends, written = write_archive(tmp_path, [20, 30, 10])
    original = path.read_bytes()
    header = header_size(path)
    per_block = [20, 50, 60]
    assert repair(path, NOW) is None and scan(path).blocks == 3
    path.write_bytes(original[:header])  # a header and no block yet: whole, empty
    assert repair(path, NOW) is None and archived_counts(tmp_path) == {(TOPIC, 0): 0}
    # every byte near a block's start (count, length, sync marker), every 7th elsewhere
    near = {b + d for b in [header, *ends] for d in range(-20, 24)}
    cuts = sorted(c for c in range(header + 1, len(original)) if c in near or c % 7 == 0)
    for cut in cuts:
        path.write_bytes(original[:cut])
        if cut in ends:  # a cut right after a block is a whole, shorter file
            assert repair(path, NOW) is None and scan(path).records == per_block[ends.index(cut)]
            continue
        complete = [i for i, end in enumerate(ends) if end <= cut]
        kept_records = per_block[complete[-1]] if complete else 0
        kept_bytes = ends[complete[-1]] if complete else header
        tail = repair(path, NOW)
        assert tail is not None, cut
        assert (tail.bytes_cut, tail.records_kept) == (cut - kept_bytes, kept_records), cut
        assert path.read_bytes() == original[:kept_bytes]
        assert tail.torn_copy is not None and tail.torn_copy.read_bytes() == \
            original[kept_bytes:cut], "the cut bytes are kept beside the file"
        assert list(read_partition(tmp_path, TOPIC, 0)) == written[:kept_records]
        tail.torn_copy.unlink()


def test_the_cut_block_reports_how_many_records_it_held(tmp_path: Path) -> None:
    path, ends, _ = write_archive(tmp_path, [20, 30, 10])
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size - 40)  # inside the last block's data
    tail = repair(path, NOW)
    assert tail is not None
    assert (tail.records_kept, tail.records_torn, tail.bytes_cut) == (50, 10, ends[2] - 40
                                                                       - ends[1])
    assert tail.torn_copy == path.with_name("0000.avro.torn-20261127T173000000000Z")
    line = tail.describe()
    assert str(path) in line and f"cut {ends[2] - 40 - ends[1]:,} of" in line
    assert "50 records kept, the cut block held 10 records" in line


def test_a_file_cut_inside_its_header_is_moved_aside_whole(tmp_path: Path) -> None:
    path, _, _ = write_archive(tmp_path, [20])
    original = path.read_bytes()
    for cut in (1, 4, 20, header_size(path) - 1):
        path.write_bytes(original[:cut])
        tail = repair(path, NOW)
        assert tail is not None and not path.exists()
        assert (tail.bytes_cut, tail.records_kept) == (cut, 0)
        assert tail.torn_copy is not None and tail.torn_copy.read_bytes() == original[:cut]
        assert archived_counts(tmp_path) == {}
        tail.torn_copy.unlink()


def test_a_zero_length_file_is_removed_with_nothing_to_keep(tmp_path: Path) -> None:
    path = tmp_path / TOPIC / "0000.avro"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"")
    assert archived_counts(tmp_path) == {(TOPIC, 0): 0}
    assert list(read_partition(tmp_path, TOPIC, 0)) == []
    tail = repair(path, NOW)
    assert tail is not None and tail.torn_copy is None and tail.bytes_cut == 0
    assert not path.exists()
    assert list(path.parent.iterdir()) == []


def test_a_block_whose_length_and_marker_survived_but_not_its_data_is_cut(
        tmp_path: Path) -> None:
    path, ends, written = write_archive(tmp_path, [20, 30, 10])
    data = bytearray(path.read_bytes())
    middle = (ends[1] + ends[2]) // 2
    data[middle:middle + 8] = b"\xff" * 8  # zeroed or scrambled pages: same length
    path.write_bytes(bytes(data))
    tail = repair(path, NOW)
    assert tail is not None
    assert (tail.records_kept, tail.bytes_cut) == (50, ends[2] - ends[1])
    assert list(read_partition(tmp_path, TOPIC, 0)) == written[:50]


def test_reading_and_counting_a_torn_file_stop_at_its_last_complete_block(
        tmp_path: Path) -> None:
    path, ends, written = write_archive(tmp_path, [20, 30, 10])
    os.truncate(path, ends[2] - 1000 if ends[2] - 1000 > ends[1] else ends[1] + 5)
    assert archived_counts(tmp_path) == {(TOPIC, 0): 50}
    assert list(read_partition(tmp_path, TOPIC, 0)) == written[:50]


def test_after_a_repair_appends_continue_the_file_at_the_next_offset(tmp_path: Path) -> None:
    path, ends, written = write_archive(tmp_path, [20, 30, 10])
    os.truncate(path, ends[2] - 3)
    (tail,) = repair_archive(tmp_path)
    assert tail.records_kept == 50
    again = records(50, 25)
    with path.open("a+b") as fh:
        fastavro.writer(fh, RECORD, again, codec="snappy")
    assert list(read_partition(tmp_path, TOPIC, 0)) == written[:50] + again
    assert archived_counts(tmp_path) == {(TOPIC, 0): 75}
    assert repair_archive(tmp_path) == []


def test_an_append_that_fails_midway_leaves_no_partial_block(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, ends, written = write_archive(tmp_path, [20])

    def dies_midway(fd: int) -> None:
        os.ftruncate(fd, os.fstat(fd).st_size - 7)  # the last bytes never reached the disk
        raise OSError("disk full")

    monkeypatch.setattr(archive.os, "fsync", dies_midway)
    archiver = Archiver(tmp_path, "127.0.0.1:1")  # no broker needed to write
    try:
        with pytest.raises(OSError, match="disk full"):
            archiver._write(TOPIC, 0, records(20, 5))
    finally:
        archiver.close()
    assert path.stat().st_size == ends[0]
    assert not scan(path).torn
    assert list(read_partition(tmp_path, TOPIC, 0)) == written


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10_000), garbage=st.binary(max_size=64),
       scribble=st.tuples(st.integers(min_value=0, max_value=400), st.binary(max_size=12)))
def test_any_torn_tail_or_scribbled_header_is_repaired_to_whole_blocks(
        tmp_path_factory: pytest.TempPathFactory, cut: int, garbage: bytes,
        scribble: tuple[int, bytes]) -> None:
    """Property: whatever follows a cut (garbage included), whatever is scribbled over
    the header's magic or sync marker, repair never fails, and what stays reads back as
    whole blocks of the original records, which appending then continues."""
    root = tmp_path_factory.mktemp("prop")
    path, ends, written = write_archive(root, [7, 5, 9])
    original = path.read_bytes()
    data = bytearray(original[:min(cut, len(original))] + garbage)
    at, junk = scribble  # over the header's magic or its sync marker (its structure)
    start = at % 4 if at % 2 else header_size(path) - 16 + at % 16
    data[start:start + len(junk)] = junk[:header_size(path) - start]
    path.write_bytes(bytes(data))
    with mock.patch.object(os, "fsync", lambda fd: None):  # durability is not the point
        repair(path, NOW)
    kept = list(read_partition(root, TOPIC, 0))
    assert kept in [written[:n] for n in (0, 7, 12, 21)]
    if path.exists():
        assert scan(path).records == len(kept) and not scan(path).torn
        with path.open("a+b") as fh:
            fastavro.writer(fh, RECORD, records(len(kept), 2), codec="snappy")
        assert [r["offset"] for r in read_partition(root, TOPIC, 0)] == \
            list(range(len(kept) + 2))


def test_a_header_claiming_a_huge_or_unreadable_metadata_is_moved_aside_whole(
        tmp_path: Path) -> None:
    path, _, _ = write_archive(tmp_path, [5])
    original = path.read_bytes()
    huge = b"Obj\x01" + b"\x02" + b"\xfe\xff\xff\xff\xff\xff\xff\xff\x7f"  # a 2**62-byte key
    for damaged in (huge + original[14:], original.replace(b"avro.schema", b"avro.schemb")):
        path.write_bytes(damaged)
        tail = repair(path, NOW)  # no attempt to read 2**62 bytes, no fastavro error
        assert tail is not None and not path.exists() and tail.records_kept == 0
        assert tail.torn_copy is not None and tail.torn_copy.read_bytes() == damaged
        tail.torn_copy.unlink()
