"""Making old data current: upcasters and the handling of defaulted fields.

A compatible change (a new field with a default) needs nothing here: Avro schema
resolution reads old bytes with the current schema. An incompatible change (a field
renamed, split, retyped) bumps the class's `SCHEMA_VERSION`, keeps the old schema in
`events/schemas/released/` and registers an upcaster from the old version:

    @upcaster("QuoteLineAdded", 1)
    def _split_price(record: dict) -> dict:
        record = dict(record)
        price = record.pop("price")
        return {**record, "unit_price": price, "currency": "INR"}

The codec then reads such bytes with their own (writer) schema, applies the upcasters
(v1 -> v2 -> ... -> current) and validates the result with the current class. See
docs/schema-evolution.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

UPCASTERS: dict[tuple[str, int], Upcaster] = {}
"""The project's upcasters, keyed (event_type, from_version); used by every AvroCodec."""


class UpcastError(ValueError):
    """A record could not be brought to the current version."""


def upcaster(event_type: str, from_version: int,
             registry: dict[tuple[str, int], Upcaster] | None = None
             ) -> Callable[[Upcaster], Upcaster]:
    """Register `fn(record) -> record` turning `event_type` v`from_version` into v+1."""
    target = UPCASTERS if registry is None else registry

    def register(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in target and target[key] is not fn:
            raise ValueError(f"two upcasters for {event_type} v{from_version}")
        target[key] = fn
        return fn

    return register


def upcast(event_type: str, version: int, record: dict[str, Any], target: int,
           upcasters: dict[tuple[str, int], Upcaster]) -> dict[str, Any]:
    """Apply the chain v`version` -> v`target`; raises UpcastError on a missing step."""
    while version < target:
        step = upcasters.get((event_type, version))
        if step is None:
            raise UpcastError(f"no upcaster from {event_type} v{version} to v{version + 1}")
        try:
            record = step(dict(record))
        except Exception as exc:
            raise UpcastError(f"upcasting {event_type} v{version} failed: {exc!r}") from exc
        version += 1
        record["schema_version"] = version
    return record


# --- fields the writer did not have -------------------------------------------------
# fastavro fills a reader field missing from the writer with the raw JSON default
# (e.g. a decimal default as a latin-1 string); dropping such fields instead lets the
# model apply its own default, which is where the Avro default came from.

Plan = dict[str, Any]  # field -> None (drop) | ("record", Plan) | ("items"/"values", Plan)


def defaulted_plan(writer: dict[str, Any], reader: dict[str, Any]) -> Plan:
    """Which (nested) reader fields are absent from the writer and so take defaults."""
    return _record_plan(writer, reader, named_types(writer), named_types(reader), set())


def drop_defaulted(record: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """Remove the defaulted fields of `plan` from a decoded record (in place)."""
    for name, sub in plan.items():
        if sub is None:
            record.pop(name, None)
        else:
            _drop_in(record.get(name), sub)
    return record


def _drop_in(value: Any, sub: tuple[str, Any]) -> None:
    kind, plan = sub
    if kind == "record" and isinstance(value, dict):
        drop_defaulted(value, plan)
    elif kind == "items" and isinstance(value, list):
        for item in value:
            _drop_in(item, plan)
    elif kind == "values" and isinstance(value, dict):
        for item in value.values():
            _drop_in(item, plan)


def named_types(schema: Any, namespace: str = "",
                out: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every named type (record, enum, fixed) of a schema, by full and by short name."""
    out = {} if out is None else out
    if isinstance(schema, list):
        for branch in schema:
            named_types(branch, namespace, out)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "enum", "fixed"):
            namespace = schema.get("namespace", namespace)
            name = schema["name"]
            out[name if "." in name else f"{namespace}.{name}"] = schema
            out.setdefault(name.rsplit(".", 1)[-1], schema)
            for field in schema.get("fields", ()):
                named_types(field["type"], namespace, out)
        elif kind == "array":
            named_types(schema["items"], namespace, out)
        elif kind == "map":
            named_types(schema["values"], namespace, out)
    return out


def _record_plan(writer: dict[str, Any], reader: dict[str, Any], wn: dict[str, Any],
                 rn: dict[str, Any], seen: set[tuple[int, int]]) -> Plan:
    if (id(writer), id(reader)) in seen:
        return {}
    seen = seen | {(id(writer), id(reader))}
    written = {f["name"]: f for f in writer.get("fields", ())}
    plan: Plan = {}
    for field in reader.get("fields", ()):
        old = written.get(field["name"])
        if old is None:
            plan[field["name"]] = None
            continue
        sub = _type_plan(old["type"], field["type"], wn, rn, seen)
        if sub is not None:
            plan[field["name"]] = sub
    return plan


def _type_plan(writer: Any, reader: Any, wn: dict[str, Any], rn: dict[str, Any],
               seen: set[tuple[int, int]]) -> tuple[str, Any] | None:
    writer = _single(writer, wn)
    reader = _single(reader, rn)
    if not isinstance(writer, dict) or not isinstance(reader, dict):
        return None
    kind = reader.get("type")
    if kind != writer.get("type"):
        return None
    if kind == "record":
        plan = _record_plan(writer, reader, wn, rn, seen)
        return ("record", plan) if plan else None
    if kind in ("array", "map"):
        part = "items" if kind == "array" else "values"
        sub = _type_plan(writer[part], reader[part], wn, rn, seen)
        return (part, sub) if sub is not None else None
    return None


def _single(schema: Any, names: dict[str, Any]) -> Any:
    """The one non-null branch of an optional union, with named references resolved."""
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        schema = branches[0] if len(branches) == 1 else None
    return names.get(schema, schema) if isinstance(schema, str) else schema
