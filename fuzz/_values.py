"""A structure-aware mutator: hostile field values in well-formed Avro.

Byte-level mutations of a real message mostly break its Avro encoding, and fastavro and
pydantic-core are compiled, so atheris sees no coverage in them to steer by. This
mutator reads a message with its writer schema (no validation), swaps one field for a
hostile value of the same Avro type (extreme integers and dates, NaN, empty and NUL
text, huge or negative decimals, empty or doubled lists, a union switched to null) and
writes it back: bytes that pass the Avro layer and test the messages' own validation
and the rules behind it. Half the time it leaves the work to libFuzzer's byte mutations.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import fastavro

_HEADER = 5
_INTS = (0, -1, 1, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63), 10**12)
_TEXT = ("", "\x00", " ", "x" * 5000, "'; DROP TABLE leads; --", "\U0001f680" * 300,
         "NaN", "-1", "9" * 40)
_TIMES = (datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC),
          datetime(1970, 1, 1, tzinfo=UTC), datetime(2025, 9, 1, tzinfo=UTC))
_DATES = (date(1, 1, 1), date(9999, 12, 31), date(1970, 1, 1), date(2025, 9, 1))
_FLOATS = (float("nan"), float("inf"), float("-inf"), -0.0, 1e308, -1.0)


def mutate(data: bytes, max_size: int, seed: int, schemas: Any,
           fallback: Callable[[bytes, int], bytes] | None = None) -> bytes:
    """`data` with one field of its record made hostile, else `fallback(data, max_size)`
    (default: libFuzzer's own mutation, which only works inside a fuzzing run).

    `schemas` maps a schema id to its schema (`BuiltinSchemaIds.schema_for`).
    """
    if fallback is None:
        import atheris

        fallback = atheris.Mutate
    rng = random.Random(seed)
    record, writer = _read(data, schemas) if rng.random() < 0.5 else (None, None)
    if record is None or not record:
        return fallback(data, max_size)
    name = rng.choice(sorted(record))
    field = next(f for f in writer["fields"] if f["name"] == name)
    record[name] = _hostile(record[name], field["type"], rng)
    if name != "event_id" and "event_id" in record:
        # a new input, not a duplicate the engine drops unread (the seeds were folded
        # into the warmed core already)
        record["event_id"] = f"fuzz-{seed:x}"
    out = io.BytesIO()
    out.write(data[:_HEADER])
    try:
        fastavro.schemaless_writer(out, writer, record)
    except Exception:  # a value the writer cannot hold (e.g. a decimal past its precision)
        return fallback(data, max_size)
    value = out.getvalue()
    return value if len(value) <= max_size else fallback(data, max_size)


def _read(data: bytes, schemas: Any) -> tuple[dict[str, Any] | None, Any]:
    if len(data) < _HEADER or data[0] != 0:
        return None, None
    schema = schemas(int.from_bytes(data[1:_HEADER], "big"))
    if schema is None:
        return None, None
    try:
        writer = fastavro.parse_schema(schema)
        record = fastavro.schemaless_reader(io.BytesIO(data[_HEADER:]), writer, None)
    except Exception:
        return None, None
    return (record, writer) if isinstance(record, dict) else (None, None)


def _hostile(value: Any, avro_type: Any, rng: random.Random) -> Any:
    """A value of the same Avro type, chosen to hurt."""
    if isinstance(avro_type, list):  # a union: null, or a hostile value of a branch
        branches = [t for t in avro_type if t != "null"]
        if "null" in avro_type and (value is not None) and rng.random() < 0.3:
            return None
        return _hostile(value, rng.choice(branches), rng) if branches else None
    if isinstance(avro_type, dict):
        logical = avro_type.get("logicalType")
        kind = avro_type.get("type")
        if logical == "timestamp-micros":
            if isinstance(value, datetime) and rng.random() < 0.5:  # near its own time
                shift = timedelta(seconds=rng.choice((-1, 1)) * rng.randrange(1, 10**9))
                with contextlib.suppress(OverflowError):
                    return value + shift
            return rng.choice(_TIMES)
        if logical == "date":
            return rng.choice(_DATES)
        if logical == "decimal":
            digits, scale = avro_type.get("precision", 18), avro_type.get("scale", 0)
            big = Decimal(10) ** (digits - scale) - Decimal(1).scaleb(-scale)
            return rng.choice((big, -big, Decimal(0), Decimal(-1).scaleb(-scale)))
        if kind == "array":
            items = list(value or [])
            return rng.choice(([], items * 2, items[:1] * 50))
        if kind == "map":
            first = next(iter((value or {}).values()), None)
            return {} if first is None or rng.random() < 0.5 else \
                {**value, "": first, "\x00": first}
        if kind == "enum":
            return rng.choice(avro_type["symbols"])
        if kind == "record" and isinstance(value, dict) and value:
            inner = dict(value)
            name = rng.choice(sorted(inner))
            field = next(f for f in avro_type["fields"] if f["name"] == name)
            inner[name] = _hostile(inner[name], field["type"], rng)
            return inner
        return _hostile(value, kind, rng)
    if avro_type in ("int", "long"):
        limit = 2**31 if avro_type == "int" else 2**63
        return rng.choice([i for i in _INTS if -limit <= i < limit])
    if avro_type in ("float", "double"):
        return rng.choice(_FLOATS)
    if avro_type == "string":
        return rng.choice(_TEXT)
    if avro_type == "boolean":
        return not value
    if avro_type == "bytes":
        return rng.choice((b"", b"\x00" * 64, bytes(range(256))))
    return value
