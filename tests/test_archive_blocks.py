"""The archiver's own block writer (archive/blocks.py) writes what fastavro would read back
as written: each record fastavro's bytes, the file's codec kept when appending."""

from __future__ import annotations

import io
from pathlib import Path

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archive.blocks import RECORD, Row, container_bytes, encode_row
from archive.log import Archiver, read_partition
from archive.torn_tail import scan

rows = st.tuples(
    st.integers(min_value=0, max_value=2**40), st.none() | st.binary(max_size=40),
    st.binary(max_size=3000), st.integers(min_value=0, max_value=2**45),
    st.none() | st.lists(st.tuples(st.text(max_size=8), st.binary(max_size=8)), max_size=3))


def as_dict(row: Row) -> dict[str, object]:
    offset, key, value, timestamp_ms, headers = row
    return {"offset": offset, "key": key, "value": value, "timestamp_ms": timestamp_ms,
            "headers": dict(headers or [])}


@settings(deadline=None)
@given(rows)
def test_a_record_is_encoded_as_fastavro_encodes_it(row: Row) -> None:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, RECORD, as_dict(row))
    assert encode_row(row) == buf.getvalue()


@settings(deadline=None)
@given(st.lists(rows, min_size=1, max_size=40))
def test_a_new_file_reads_back_every_record_in_order(batch: list[Row]) -> None:
    data = container_bytes(io.BytesIO(), 0, batch)
    assert list(fastavro.reader(io.BytesIO(data))) == [as_dict(r) for r in batch]


@pytest.mark.parametrize("codec", ["deflate", "null", "snappy"])
def test_appending_keeps_the_files_codec_and_its_blocks_whole(tmp_path: Path,
                                                             codec: str) -> None:
    path = tmp_path / "crm.leads" / "0000.avro"
    path.parent.mkdir()
    first = [(n, f"k{n}".encode(), bytes([n]) * 500, 1_700_000_000_000 + n, None)
             for n in range(50)]
    with path.open("wb") as fh:
        fastavro.writer(fh, RECORD, [as_dict(r) for r in first], codec=codec)
    more = [(n, None, bytes([n]) * 700, 1_700_000_000_000 + n, [("h", b"x")])
            for n in range(50, 120)]  # ~49 KB: several blocks
    archiver = Archiver(tmp_path, "127.0.0.1:1")  # no broker needed to write
    try:
        archiver._append("crm.leads", 0, more)
    finally:
        archiver.close()
    with path.open("rb") as fh:
        assert fastavro.reader(fh).codec == codec
    assert list(read_partition(tmp_path, "crm.leads", 0)) == [as_dict(r) for r in first + more]
    found = scan(path)
    assert (found.records, found.torn) == (120, False) and found.blocks > 2
