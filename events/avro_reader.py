"""A record schema compiled to a Python function that reads its Avro binary encoding.

The counterpart of events/avro_writer.py for the inputs the core decodes: fastavro's
`schemaless_reader` walks the schema for every record it reads (its per-field dispatch
was ~6 % of the live core worker's CPU, docs/benchmarks.md, session 7). The function
compiled here reads the same bytes into the same dict, field for field: fastavro's own
logical readers make the timestamps, dates and decimals, and the primitives follow
fastavro's reading of them, including how it takes bytes that no writer of ours makes
(a boolean byte other than 0 is true, a union index may be negative as a list index,
longs wrap at 64 bits as its C does, array blocks may carry their size). Anything short raises, as
fastavro does; the caller turns every exception into its DecodeError.

Schemas with a type this compiler does not handle (map, enum, fixed, float, double)
give None: fastavro reads those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastavro.read import LOGICAL_READERS

from events.avro_compile import SchemaCompiler, Unsupported, compile_schema

Reader = Callable[[bytes, int], tuple[dict[str, Any], int]]

_MASK = (1 << 64) - 1


def _long(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at `pos` (fastavro's 64-bit reading, whose shifts past 64 bits
    wrap as the machine's do): (value, position after)."""
    b = data[pos]
    pos += 1
    n = b & 0x7F
    shift = 7
    while b & 0x80:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << (shift & 63)
        shift += 7
    n &= _MASK
    return (n >> 1) ^ -(n & 1), pos


def _short(wanted: int, left: int) -> EOFError:
    return EOFError(f"Expected {wanted} bytes, read {max(0, min(wanted, left))}")



class _Compiler(SchemaCompiler):
    """Turns one record schema (and the records it names) into Python source."""

    def __init__(self) -> None:
        super().__init__({"_long": _long, "_short": _short, "_BRANCH": (0, 1)})

    def record(self, schema: dict[str, Any], namespace: str = "") -> str:
        full, fn = self.new_record(schema, namespace)
        body: list[str] = []
        names: list[tuple[str, str]] = []
        for field in schema["fields"]:
            var = self.name("v")
            body.extend(self.value(field["type"], var, full.rpartition(".")[0]))
            names.append((field["name"], var))
        built = ", ".join(f"{name!r}: {var}" for name, var in names)
        self.lines.append(f"def {fn}(data, pos):")
        self.lines.extend(f"    {line}" for line in body)
        self.lines.append(f"    return {{{built}}}, pos")
        return fn

    def long(self, var: str) -> list[str]:
        """Lines reading a long into `var` (one-byte values without a call)."""
        return ["b = data[pos]",
                "if b < 128:",
                f"    {var} = (b >> 1) ^ -(b & 1)",
                "    pos += 1",
                "else:",
                f"    {var}, pos = _long(data, pos)"]

    def value(self, schema: Any, var: str, namespace: str) -> list[str]:
        """Lines reading one value of `schema` into `var`."""
        if isinstance(schema, list):
            return self.union(schema, var, namespace)
        if isinstance(schema, dict):
            kind = schema["type"]
            logical = schema.get("logicalType")
            if logical is not None:
                return self.logical(schema, kind, logical, var)
            if kind == "record":
                fn = self.record(schema, namespace)
                return [f"{var}, pos = {fn}(data, pos)"]
            if kind == "array":
                return self.array(schema["items"], var, namespace)
            if isinstance(kind, str | list | dict) and kind not in ("map", "enum", "fixed"):
                return self.value(kind, var, namespace)
            raise Unsupported(kind)
        full = schema if schema in self.records else f"{namespace}.{schema}"
        if full in self.records:
            return [f"{var}, pos = {self.records[full]}(data, pos)"]
        return self.primitive(schema, var)

    def primitive(self, kind: str, var: str) -> list[str]:
        if kind in ("string", "bytes"):
            end = "pos + n"
            take = f"data[pos:{end}].decode()" if kind == "string" else f"data[pos:{end}]"
            return [*self.long("n"),
                    "if n < 0 or pos + n > len(data):",
                    "    raise _short(n, len(data) - pos)",
                    f"{var} = {take}",
                    "pos += n"]
        if kind in ("long", "int"):
            return self.long(var)
        if kind == "boolean":
            return [f"{var} = data[pos] != 0", "pos += 1"]
        if kind == "null":
            return [f"{var} = None"]
        raise Unsupported(kind)

    def logical(self, schema: dict[str, Any], kind: str, logical: str, var: str) -> list[str]:
        key = f"{kind}-{logical}"
        if key not in ("long-timestamp-micros", "int-date", "bytes-decimal"):
            raise Unsupported(key)
        convert = self.name("_logical")
        spec = self.name("_schema")
        self.env[convert] = LOGICAL_READERS[key]
        self.env[spec] = schema
        return [*self.primitive(kind, var), f"{var} = {convert}({var}, {spec}, None)"]

    def array(self, items: Any, var: str, namespace: str) -> list[str]:
        item = self.name("i")
        count = self.name("c")
        inner = self.value(items, item, namespace)
        return [f"{var} = []",
                *self.long(count),
                f"while {count}:",
                f"    if {count} < 0:",
                f"        {count} = -{count}",
                *(f"        {line}" for line in self.long("_size")),
                f"    for _ in range({count}):",
                *(f"        {line}" for line in inner),
                f"        {var}.append({item})",
                *(f"    {line}" for line in self.long(count))]

    def union(self, branches: list[Any], var: str, namespace: str) -> list[str]:
        kinds = [b if isinstance(b, str) else b.get("type") for b in branches]
        if len(branches) != 2 or "null" not in kinds:
            raise Unsupported(f"union {kinds}")
        null = kinds.index("null")
        inner = self.value(branches[1 - null], var, namespace)
        # the index as fastavro takes it: a list index (-1 and -2 name the two branches)
        return [*self.long("n"),
                f"if _BRANCH[n] == {null}:",
                f"    {var} = None",
                "else:",
                *(f"    {line}" for line in inner)]


def compile_reader(schema: dict[str, Any]) -> Reader | None:
    """A reader `fn(data, pos) -> (record, position after it)` for a record schema
    (fastavro's own or parsed form), or None when the schema uses a type this compiler
    leaves to fastavro."""
    return compile_schema(_Compiler(), schema)  # type: ignore[no-any-return]
