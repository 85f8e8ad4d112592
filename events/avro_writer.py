"""Avro binary encoding of our message records, compiled once per schema.

fastavro's `schemaless_writer` walks the schema for every call and converts logical types
through general functions; on the backfill's critical path that was a fifth of the
generator's CPU (docs/benchmarks.md, backfill item 16). Here each record schema becomes
one generated Python function that appends the fields in schema order to a bytearray,
with the cases our schemas use only: string, bytes, long, int, boolean, null, unions of
null and one type, arrays, nested records, and the logical types timestamp-micros, date
and decimal. A schema with anything else compiles to None and the caller keeps fastavro.

The bytes are fastavro's, bit for bit (tests/test_avro_writer.py holds the two equal for
every message type on generated instances): decimals go through fastavro's own
conversion, timestamps and dates use its arithmetic, and the varints, zig-zag longs and
array blocks are the Avro specification's, as fastavro writes them.
"""

from __future__ import annotations

import datetime
import struct
from binascii import crc32
from collections.abc import Callable
from typing import Any

from cramjam import snappy
from fastavro.logical_writers import LOGICAL_WRITERS

from events.avro_compile import SchemaCompiler, Unsupported, compile_schema

Encoder = Callable[[Any, bytearray], None]

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_DAYS_SHIFT = datetime.date(1970, 1, 1).toordinal()
_CACHE_LIMIT = 1 << 16  # entries per value cache before it starts again (bounded memory)


def varint(n: int) -> bytes:
    """Avro's zig-zag variable-length encoding of a long (or int)."""
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n & ~0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


# Lengths of strings and bytes, and small longs: looked up rather than computed.
_LENGTHS = tuple(varint(n) for n in range(1 << 12))
_SMALL = {n: varint(n) for n in range(-(1 << 10), 1 << 12)}
# A varint's 14-bit groups as two bytes with the continuation bit set on both, and a
# last group of under 14 bits as its one or two plain varint bytes: a long whose
# zig-zag value has 43 to 56 bits (a timestamp in micros from 26 Jan 1970 for a thousand
# years) is written by four lookups instead of a loop over its eight bytes.
_PAIRS = tuple(bytes(((g & 0x7F) | 0x80, (g >> 7) | 0x80)) for g in range(1 << 14))
_LAST = tuple(bytes((g,)) if g < 0x80 else bytes(((g & 0x7F) | 0x80, g >> 7))
              for g in range(1 << 14))


def _text(value: str) -> bytes:
    raw = value.encode()
    size = len(raw)
    return (_LENGTHS[size] if size < 4096 else varint(size)) + raw


def _blob(value: bytes) -> bytes:
    size = len(value)
    return (_LENGTHS[size] if size < 4096 else varint(size)) + bytes(value)


def _long(n: int) -> bytes:
    """`varint(n)`, by table lookups for the timestamps' range (43-56 bits zig-zagged)."""
    z = (n << 1) ^ (n >> 63)
    if 0x3FFFFFFFFFF < z < 0x100000000000000:
        return (_PAIRS[z & 0x3FFF] + _PAIRS[(z >> 14) & 0x3FFF] + _PAIRS[(z >> 28) & 0x3FFF]
                + _LAST[z >> 42])
    return varint(n)


def _stamp(value: Any) -> bytes:
    """A timestamp-micros long: an aware datetime's micros since 1970, as a varint."""
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        delta = value - _EPOCH  # fastavro's arithmetic (prepare_timestamp_micros)
        return _long((delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds)
    return varint(LOGICAL_WRITERS["long-timestamp-micros"](value, {}))


def _days(value: Any) -> int:
    if isinstance(value, datetime.date):
        return value.toordinal() - _DAYS_SHIFT
    return LOGICAL_WRITERS["int-date"](value, {})  # type: ignore[no-any-return]


class _Compiler(SchemaCompiler):
    """Turns one record schema (and the records it names) into Python source."""

    def __init__(self) -> None:
        super().__init__({
            "_text": _text, "_blob": _blob, "_stamp": _stamp, "_days": _days,
            "_LENGTHS": _LENGTHS, "varint": varint, "_SMALL": _SMALL,
            "_decimal": LOGICAL_WRITERS["bytes-decimal"],
            "_cache_limit": _CACHE_LIMIT, "isinstance": isinstance, "dict": dict,
        })

    def record(self, schema: dict[str, Any], namespace: str = "") -> str:
        full, fn = self.new_record(schema, namespace)
        body: list[str] = []
        for field in schema["fields"]:
            var = self.name("v")
            body.append(f"{var} = d[{field['name']!r}]")
            body.extend(self.value(field["type"], var, full.rpartition(".")[0]))
        self.lines.append(f"def {fn}(d, out):")
        self.lines.extend(f"    {line}" for line in body or ["pass"])
        return fn

    def value(self, schema: Any, var: str, namespace: str) -> list[str]:
        """Lines appending `var` encoded as `schema` to `out`."""
        if isinstance(schema, list):
            return self.union(schema, var, namespace)
        if isinstance(schema, dict):
            kind = schema["type"]
            logical = schema.get("logicalType")
            if logical is not None:
                return self.logical(schema, kind, logical, var)
            if kind == "record":
                fn = self.record(schema, namespace)
                return [f"{fn}({var} if isinstance({var}, dict) else {var}.__dict__, out)"]
            if kind == "array":
                item = self.name("i")
                inner = self.value(schema["items"], item, namespace)
                return [f"if len({var}):",
                        f"    out += _SMALL.get(len({var})) or varint(len({var}))",
                        f"    for {item} in {var}:",
                        *(f"        {line}" for line in inner),
                        "out += b'\\x00'"]
            if isinstance(kind, str | list | dict) and kind not in ("map", "enum", "fixed"):
                return self.value(kind, var, namespace)
            raise Unsupported(kind)
        full = schema if schema in self.records else f"{namespace}.{schema}"
        if full in self.records:
            fn = self.records[full]
            return [f"{fn}({var} if isinstance({var}, dict) else {var}.__dict__, out)"]
        return self.primitive(schema, var)

    def primitive(self, kind: str, var: str) -> list[str]:
        if kind == "string":  # _text, inlined: a call less for every string written
            return [f"_r = {var}.encode()", "_n = len(_r)",
                    "out += _LENGTHS[_n] if _n < 4096 else varint(_n)", "out += _r"]
        if kind == "bytes":
            return [f"out += _blob({var})"]
        if kind in ("long", "int"):
            return [f"out += _SMALL.get({var}) or varint({var})"]
        if kind == "boolean":
            return [f"out += b'\\x01' if {var} else b'\\x00'"]
        if kind == "null":
            return []
        raise Unsupported(kind)

    def logical(self, schema: dict[str, Any], kind: str, logical: str, var: str) -> list[str]:
        if (kind, logical) == ("long", "timestamp-micros"):
            return self.cached("_stamps", var, f"_stamp({var})")
        if (kind, logical) == ("int", "date"):
            return self.cached("_dates", var, f"varint(_days({var}))")
        if (kind, logical) == ("bytes", "decimal"):
            spec = self.name("_spec")
            self.env[spec] = {"precision": schema["precision"], "scale": schema.get("scale", 0)}
            return [f"out += _blob(_decimal({var}, {spec}))"]
        raise Unsupported(f"{kind}/{logical}")

    def cached(self, prefix: str, var: str, encode: str) -> list[str]:
        """Lines appending `var`'s encoding, `encode`, kept in a bounded cache of its own
        (a history repeats timestamps and dates)."""
        cache = self.name(prefix)
        self.env[cache] = {}
        return [f"b = {cache}.get({var})",
                "if b is None:",
                f"    b = {encode}",
                f"    if len({cache}) >= _cache_limit:",
                f"        {cache}.clear()",
                f"    {cache}[{var}] = b",
                "out += b"]

    def union(self, branches: list[Any], var: str, namespace: str) -> list[str]:
        kinds = [b if isinstance(b, str) else b.get("type") for b in branches]
        if len(branches) != 2 or "null" not in kinds:
            raise Unsupported(f"union {kinds}")
        null = kinds.index("null")
        other = branches[1 - null]
        inner = self.value(other, var, namespace)
        return [f"if {var} is None:",
                f"    out += {bytes(varint(null))!r}",
                "else:",
                f"    out += {bytes(varint(1 - null))!r}",
                *(f"    {line}" for line in inner or ["pass"])]


def compile_record(schema: dict[str, Any]) -> Encoder | None:
    """An encoder `fn(fields, out)` for a record schema (fastavro's own or parsed form):
    appends the record's Avro binary encoding to `out`, reading each field from the
    mapping `fields` (a message's `__dict__`; nested records may be models or dicts).
    None when the schema uses a type this compiler leaves to fastavro."""
    return compile_schema(_Compiler(), schema)  # type: ignore[no-any-return]


def text(value: str) -> bytes:
    """An Avro string: its UTF-8 length as a varint, then the bytes."""
    return _text(value)


def blob(value: bytes) -> bytes:
    """Avro bytes: the length as a varint, then the bytes."""
    return _blob(value)


def small_long(value: int) -> bytes:
    """An Avro long (zig-zag varint), small ones from a table."""
    return _SMALL.get(value) or varint(value)


def snappy_block(count: int, data: bytes | bytearray, sync_marker: bytes) -> bytes:
    """One block of an Avro object container file in the snappy codec, as fastavro writes
    it: record count, compressed size (+4 for the CRC), the compressed records, the CRC-32
    of the uncompressed ones (big-endian), the file's sync marker."""
    raw = bytes(data)
    packed = bytes(snappy.compress_raw(raw))
    return b"".join((varint(count), varint(len(packed) + 4), packed,
                     struct.pack(">I", crc32(raw) & 0xFFFFFFFF), sync_marker))
