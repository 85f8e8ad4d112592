"""The compiled Avro writer (events/avro_writer.py) writes fastavro's bytes, bit for bit.

Instances come from the round-trip test's strategies (every field's own constraints), so
every message type, its optional fields, lists, nested records, decimals at their scale,
timestamps in other zones and dates at the ends of the valid range are compared.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_contracts_roundtrip import model_strategy

from domain.catalog import message_types
from domain.kernel.messages import Message
from events.avro_writer import _long, compile_record, varint
from events.codec import AvroCodec

CODEC = AvroCodec()


def fastavro_bytes(message: Message) -> bytes:
    """What fastavro writes for the message (the codec's path before the compiled one)."""
    buf = io.BytesIO()
    schema = fastavro.parse_schema(CODEC.schema(message.event_type))
    fastavro.schemaless_writer(buf, schema, message.model_dump())
    return buf.getvalue()


def compiled_bytes(message: Message) -> bytes:
    encoder = compile_record(CODEC.schema(message.event_type))
    assert encoder is not None, f"{message.event_type}'s schema did not compile"
    out = bytearray()
    encoder(message.__dict__, out)
    return bytes(out)


@pytest.mark.parametrize("name", sorted(message_types()))
def test_every_message_type_is_written_as_fastavro_writes_it(name: str) -> None:
    @settings(max_examples=8, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(model_strategy(message_types()[name]))
    def same_bytes(message: Message) -> None:
        assert compiled_bytes(message) == fastavro_bytes(message)
        assert CODEC.encode(message)[5:] == fastavro_bytes(message)

    same_bytes()


@settings(deadline=None)
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_a_long_is_zigzag_varint_encoded_as_fastavro_does(n: int) -> None:
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema("long"), n)
    assert varint(n) == buf.getvalue()


@settings(deadline=None)
@given(st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1),
                 st.integers(min_value=2**40, max_value=2**57),  # around the table's range
                 st.sampled_from([2**41 - 1, 2**41, 2**55 - 1, 2**55, -(2**41), -(2**41) - 1,
                                  -(2**55), -(2**55) - 1])))
def test_a_timestamp_s_long_by_table_lookups_is_the_same_varint(n: int) -> None:
    assert _long(n) == varint(n)


SCALARS: dict[str, Any] = {
    "type": "record", "name": "Scalars", "namespace": "t",
    "fields": [
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                    "precision": 15, "scale": 2}},
        {"name": "maybe", "type": ["string", "null"]},
        {"name": "flag", "type": "boolean"},
        {"name": "blob", "type": "bytes"},
    ],
}


@pytest.mark.parametrize("values", [
    {"at": datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC), "day": date(1700, 1, 1),
     "amount": Decimal("-128.00"), "maybe": None, "flag": True, "blob": b""},
    {"at": datetime(2026, 3, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
     "day": date(4000, 12, 31), "amount": Decimal("9999999999999.99"), "maybe": "x" * 5000,
     "flag": False, "blob": b"\x00" * 5000},
    {"at": datetime(2026, 3, 1, 5, 30), "day": date(2026, 1, 1), "amount": Decimal("0.00"),
     "maybe": "Ünïcødé ✓", "flag": False, "blob": b"\xff"},
])
def test_edge_values_and_a_string_first_union_are_written_as_fastavro_writes_them(
        values: dict[str, Any]) -> None:
    encoder = compile_record(SCALARS)
    assert encoder is not None
    out = bytearray()
    encoder(values, out)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(SCALARS), values)
    assert bytes(out) == buf.getvalue()


def test_a_decimal_with_more_places_than_its_scale_is_refused_like_fastavro_refuses_it() -> None:
    encoder = compile_record(SCALARS)
    assert encoder is not None
    values = {"at": datetime(2026, 1, 1, tzinfo=UTC), "day": date(2026, 1, 1),
              "amount": Decimal("1.005"), "maybe": None, "flag": True, "blob": b""}
    with pytest.raises(ValueError, match="Scale"):
        encoder(values, bytearray())


def test_a_schema_with_a_type_it_does_not_handle_is_left_to_fastavro() -> None:
    assert compile_record({"type": "record", "name": "M", "fields": [
        {"name": "m", "type": {"type": "map", "values": "string"}}]}) is None
    assert compile_record({"type": "record", "name": "F", "fields": [
        {"name": "f", "type": "double"}]}) is None
