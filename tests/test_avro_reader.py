"""The compiled Avro reader (events/avro_reader.py) reads what fastavro reads, and fails
where fastavro fails.

Every message type's bytes (instances from the round-trip test's strategies) are read
into the same record, value and type; bytes no writer of ours makes (mutated, truncated,
extended) are either refused by both or read into the same record by both, so a command
the core dead-letters today is dead-lettered still, and none more.
"""

from __future__ import annotations

import functools
import io
import random
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_contracts_roundtrip import model_strategy

from domain.catalog import message_types
from domain.kernel.messages import Message
from events.avro_reader import compile_reader
from events.codec import AvroCodec, DecodeError

CODEC = AvroCodec()


@functools.cache
def parsed(name: str) -> Any:
    return fastavro.parse_schema(CODEC.schema(name))


@functools.cache
def compiled(name: str) -> Any:
    return compile_reader(CODEC.schema(name))


def fastavro_read(name: str, body: bytes) -> tuple[dict[str, Any], int] | str:
    """fastavro's record and where it stopped, or "refused"."""
    buf = io.BytesIO(body)
    try:
        record = fastavro.schemaless_reader(buf, parsed(name))
    except Exception:
        return "refused"
    return record, buf.tell()


def compiled_read(name: str, body: bytes) -> tuple[dict[str, Any], int] | str:
    reader = compiled(name)
    assert reader is not None, f"{name}'s schema did not compile"
    try:
        return reader(body, 0)
    except Exception:
        return "refused"


def typed(result: tuple[dict[str, Any], int] | str) -> Any:
    """The result with each value's type beside it (True == 1, Decimal("1") == 1)."""
    if isinstance(result, str):
        return result
    record, end = result
    return {k: (v, type(v)) for k, v in record.items()}, end


@pytest.mark.parametrize("name", sorted(message_types()))
def test_every_message_type_is_read_as_fastavro_reads_it(name: str) -> None:
    @settings(max_examples=8, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(model_strategy(message_types()[name]), st.randoms(use_true_random=False))
    def same_record(message: Message, rng: random.Random) -> None:
        body = CODEC.encode(message)[5:]
        assert typed(compiled_read(name, body)) == typed(fastavro_read(name, body))
        assert CODEC.decode(CODEC.encode(message)) == message
        for _ in range(4):  # bytes no writer makes: both refuse, or both read the same
            mutated = bytearray(body)
            at = rng.randrange(len(mutated))
            kind = rng.randrange(3)
            if kind == 0:
                mutated[at] = rng.randrange(256)
            elif kind == 1:
                del mutated[at:]
            else:
                mutated[at:at] = bytes([rng.randrange(256)])
            garbled = bytes(mutated)
            assert typed(compiled_read(name, garbled)) == typed(fastavro_read(name, garbled))

    same_record()


@pytest.mark.parametrize(("schema", "body"), [
    ("boolean", b"\x02"),  # a boolean byte other than 0 is true
    ("boolean", b""),
    ("string", b"\x06ab"),  # shorter than its length
    ("string", b"\x03abc"),  # a negative length
    ("string", b"\x02\xff"),  # not UTF-8
    ("bytes", b"\x06ab"),
    (["null", "string"], b"\x01\x02ab"),  # union index -1: the last branch
    (["null", "string"], b"\x03"),  # -2: the first
    (["null", "string"], b"\x04"),  # 2: no such branch
    (["null", "string"], b"\x80\x00"),  # index 0 in two bytes
    (["string", "null"], b"\x02"),
    ("long", b"\x80"),  # a varint cut short
    ("long", b"\xff" * 10 + b"\x01"),  # wraps at 64 bits
    ("long", b"\xfe" + b"\xff" * 8 + b"\x01"),
    ("long", b"\x80" * 10 + b"\x01"),  # a shift past 64 bits wraps, as in fastavro's C
    ("long", b"\x80" * 12 + b"\x05"),
    ({"type": "array", "items": "long"}, b"\x03\x02\x02\x04\x00"),  # a block with its size
    ({"type": "long", "logicalType": "timestamp-micros"}, b"\xfe" + b"\xff" * 8 + b"\x01"),
    ({"type": "int", "logicalType": "date"}, b"\x02"),
    ({"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 2}, b"\x04\x7f\xff"),
    ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2}, b"\x00"),
])
def test_bytes_no_writer_of_ours_makes_are_taken_as_fastavro_takes_them(
        schema: Any, body: bytes) -> None:
    record = {"type": "record", "name": "X", "fields": [{"name": "a", "type": schema}]}
    reader = compile_reader(record)
    assert reader is not None
    try:
        ours: Any = typed(reader(body, 0))
    except Exception:
        ours = "refused"
    buf = io.BytesIO(body)
    try:
        theirs: Any = typed((fastavro.schemaless_reader(buf, fastavro.parse_schema(record)),
                             buf.tell()))
    except Exception:
        theirs = "refused"
    assert ours == theirs


def test_a_schema_with_a_type_it_does_not_handle_is_left_to_fastavro() -> None:
    for kind in ({"type": "map", "values": "long"}, "double", "float",
                 {"type": "enum", "name": "E", "symbols": ["A"]}, ["null", "long", "string"]):
        record = {"type": "record", "name": "X", "fields": [{"name": "a", "type": kind}]}
        assert compile_reader(record) is None, kind


def test_a_truncated_or_extended_message_is_still_a_decode_error_with_its_reason() -> None:
    from domain.leads.messages import CaptureLead
    data = CODEC.encode(CaptureLead(company_name="Acme", lead_source="website",
                                    event_id="e-1", aggregate_id="LD-1",
                                    occurred_at="2026-03-01T00:00:00Z"))
    with pytest.raises(DecodeError, match="not valid Avro"):
        CODEC.decode(data[:-3])
    with pytest.raises(DecodeError, match="2 unexpected trailing bytes"):
        CODEC.decode(data + b"\x00\x00")
    assert CODEC.decode(bytearray(data)) == CODEC.decode(data)
