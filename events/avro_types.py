"""Avro types of pydantic message fields (the builder behind `events.avro.schema_for`).

Mapping: str -> string, int -> long, float -> double, bool -> boolean, Decimal (with a
DecimalSpec or max_digits/decimal_places) -> bytes/decimal, datetime -> timestamp-micros,
date -> date, Literal/str Enum -> string (allowed values in the field doc), list/tuple ->
array, dict[str, X] -> map, a nested pydantic model -> a named record (defined once per
schema, then referenced by full name), `X | None` -> ["null", X].
Field defaults become Avro defaults of the matching union branch.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from domain.kernel.messages import ENVELOPE_FIELDS, DecimalSpec

NAMESPACE = "genims.crm"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SchemaBuilder:
    """Builds one schema; remembers the named records it defined (each defined once)."""

    def __init__(self) -> None:
        self.defined: dict[str, type[BaseModel]] = {}
        self.named: dict[str, dict[str, Any]] = {}

    def record(self, cls: type[BaseModel], top: bool = False) -> dict[str, Any]:
        """The record schema of `cls`; `top`: a message (envelope first, kind, version)."""
        names = list(cls.model_fields)
        if top:
            names = [n for n in names if n in ENVELOPE_FIELDS] + [
                n for n in names if n not in ENVELOPE_FIELDS]
        full = f"{NAMESPACE}.{cls.__name__}"
        self.defined[full] = cls
        record: dict[str, Any] = {"type": "record", "name": cls.__name__, "namespace": NAMESPACE}
        self.named[full] = record
        doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        if doc and cls.__doc__ != BaseModel.__doc__:
            record["doc"] = " ".join(doc.split())
        if top:
            record["kind"] = cls.KIND  # type: ignore[attr-defined]
            record["aggregate"] = cls.AGGREGATE  # type: ignore[attr-defined]
            record["schema_version"] = cls.SCHEMA_VERSION  # type: ignore[attr-defined]
        fields = []
        for name in names:
            try:
                fields.append(self.field(name, cls.model_fields[name]))
            except TypeError as exc:
                raise TypeError(f"{cls.__name__}.{name}: {exc}") from None
        record["fields"] = fields
        return record

    def field(self, name: str, info: FieldInfo) -> dict[str, Any]:
        """One record field: its Avro type, its default, the allowed values in its doc."""
        choices: list[str] = []
        avro = self.type(info.annotation, list(info.metadata), choices)
        field: dict[str, Any] = {"name": name, "type": avro}
        doc = info.description or ""
        if choices:
            doc = f"{doc.rstrip('.')}; one of: {', '.join(choices)}" if doc else (
                f"one of: {', '.join(choices)}")
        if doc:
            field["doc"] = doc
        max_length = next((m.max_length for m in info.metadata if hasattr(m, "max_length")), None)
        if max_length is not None:
            field["max_length"] = max_length
        if not info.is_required():
            value = info.get_default(call_default_factory=True)
            if isinstance(avro, list):  # the default must match the union's first branch
                first = next((b for b in avro if _matches(value, b, self.named)), None)
                if first is None:
                    raise TypeError(f"default {value!r} of {name} fits no branch of {avro}")
                field["type"] = avro = [first, *(b for b in avro if b is not first)]
                avro = first
            elif not _matches(value, avro, self.named):
                raise TypeError(f"default {value!r} does not fit {avro}")
            field["default"] = _avro_default(value, avro, self.named)
        return field

    def type(self, annotation: Any, metadata: list[Any], choices: list[str]) -> Any:
        """The Avro type of `annotation`; allowed string values are added to `choices`."""
        origin = get_origin(annotation)
        if origin is typing.Annotated:
            base, *extra = get_args(annotation)
            return self.type(base, [*metadata, *extra], choices)
        if origin in (Union, types.UnionType):
            args = get_args(annotation)
            branches = [self.type(a, metadata, choices) for a in args if a is not type(None)]
            return ["null", *branches] if type(None) in args else branches
        if origin is Literal:
            values = get_args(annotation)
            choices.extend(str(v) for v in values)
            return _literal_type(values)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            values = tuple(m.value for m in annotation)
            choices.extend(str(v) for v in values)
            return _literal_type(values)
        if origin in (list, tuple, set, frozenset):
            args = [a for a in get_args(annotation) if a is not Ellipsis]
            if origin is tuple and len(set(args)) > 1:
                raise TypeError(f"fixed-shape tuples have no Avro mapping: {annotation!r}")
            return {"type": "array", "items": self.type(args[0], [], choices)}
        if origin is dict:
            key, value = get_args(annotation)
            if key is not str:
                raise TypeError(f"Avro map keys are strings, not {key!r}")
            return {"type": "map", "values": self.type(value, [], choices)}
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            full = f"{NAMESPACE}.{annotation.__name__}"
            if full in self.defined:
                if self.defined[full] is not annotation:
                    raise TypeError(f"two different records named {annotation.__name__}")
                return full
            return self.record(annotation)
        return _scalar(annotation, metadata)


def _literal_type(values: tuple[Any, ...]) -> str:
    if all(isinstance(v, str) for v in values):
        return "string"
    if all(isinstance(v, bool) for v in values):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "long"
    raise TypeError(f"Literal values must share one type: {values!r}")


def _scalar(annotation: Any, metadata: list[Any]) -> Any:
    simple = {bool: "boolean", int: "long", float: "double", str: "string", bytes: "bytes"}
    if annotation in simple:
        return simple[annotation]
    if annotation is datetime:
        return {"type": "long", "logicalType": "timestamp-micros"}
    if annotation is date:
        return {"type": "int", "logicalType": "date"}
    if annotation is Decimal:
        precision, scale = _decimal_spec(metadata)
        return {"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale}
    if isinstance(annotation, typing.ForwardRef | str):
        raise TypeError(f"unresolved annotation {annotation!r}: import the type at runtime")
    raise TypeError(f"no Avro mapping for {annotation!r} (use a nested model or a typed map)")


def _decimal_spec(metadata: list[Any]) -> tuple[int, int]:
    for m in metadata:
        if isinstance(m, DecimalSpec):
            return m.precision, m.scale
    digits = next((m for m in metadata if getattr(m, "max_digits", None)), None)
    places = next((m for m in metadata if getattr(m, "decimal_places", None) is not None), None)
    if digits is not None and places is not None:
        return digits.max_digits, places.decimal_places
    raise TypeError("Decimal fields need a DecimalSpec (Money, Percent, ...) or "
                    "max_digits and decimal_places")


def _named_type(avro: Any, named: dict[str, dict[str, Any]]) -> Any:
    return named.get(avro, avro) if isinstance(avro, str) else avro


def _matches(value: Any, avro: Any, named: dict[str, dict[str, Any]]) -> bool:
    """Whether a Python default value belongs to an Avro (non-union) type."""
    avro = _named_type(avro, named)
    value = value.value if isinstance(value, enum.Enum) else value
    kind = avro if isinstance(avro, str) else avro.get("type")
    logical = avro.get("logicalType") if isinstance(avro, dict) else None
    if value is None:
        return kind == "null"
    if logical == "decimal":
        return isinstance(value, Decimal)
    if logical == "timestamp-micros":
        return isinstance(value, datetime)
    if logical == "date":
        return isinstance(value, date) and not isinstance(value, datetime)
    checks: dict[str, Any] = {
        "boolean": lambda v: isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, float | int) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "bytes": lambda v: isinstance(v, bytes),
        "array": lambda v: isinstance(v, list | tuple | set | frozenset),
        "map": lambda v: isinstance(v, dict),
        "record": lambda v: isinstance(v, BaseModel | dict),
    }
    return bool(checks.get(kind, lambda v: False)(value))


def _avro_default(value: Any, avro: Any, named: dict[str, dict[str, Any]]) -> Any:
    """A Python default in Avro's JSON encoding for its (first-branch) type."""
    avro = _named_type(avro, named)
    logical = avro.get("logicalType") if isinstance(avro, dict) else None
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, bool | int | float | str) and logical is None:
        return value
    if logical == "decimal":
        unscaled = int(value.scaleb(avro["scale"]))
        size = max(1, (unscaled.bit_length() + 8) // 8)
        return unscaled.to_bytes(size, "big", signed=True).decode("latin-1")
    if logical == "timestamp-micros":
        return (value - _EPOCH) // (datetime.resolution)
    if logical == "date":
        return (value - _EPOCH.date()).days
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list | tuple | set | frozenset):
        return [_avro_default(v, avro["items"], named) for v in value]
    if isinstance(value, dict):
        return {k: _avro_default(v, avro["values"], named) for k, v in value.items()}
    if isinstance(value, BaseModel):
        fields = {f["name"]: f["type"] for f in avro["fields"]}
        return {k: _first_default(v, fields[k], named) for k, v in value.__dict__.items()}
    raise TypeError(f"unsupported Avro default {value!r}")


def _first_default(value: Any, avro: Any, named: dict[str, dict[str, Any]]) -> Any:
    if isinstance(avro, list):
        avro = next(b for b in avro if _matches(value, b, named))
    return _avro_default(value, avro, named)
