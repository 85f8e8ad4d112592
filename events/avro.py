"""Avro schemas derived from the typed messages in `domain/`.

The `.avsc` files in `events/schemas/` are generated from the pydantic models by
`crm schemas --write` and committed; a test regenerates them and fails on any drift,
so the Python types and the published contracts cannot disagree.
"""

from __future__ import annotations

import json
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from domain.messages import ENVELOPE_FIELDS, DecimalSpec, Message, message_types

NAMESPACE = "genims.crm"
SCHEMA_DIR = Path(__file__).parent / "schemas"


def schema_for(cls: type[Message]) -> dict[str, Any]:
    """The Avro record schema of one message class (envelope fields first)."""
    return _record(cls, set(), top=True)


def all_schemas() -> dict[str, dict[str, Any]]:
    """Schema of every message type, by event_type."""
    return {name: schema_for(cls) for name, cls in message_types().items()}


def write_schema_files(directory: Path = SCHEMA_DIR) -> list[Path]:
    """(Re)write one `<EventType>.avsc` per message type; returns the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in all_schemas().items():
        path = directory / f"{name}.avsc"
        path.write_text(json.dumps(schema, indent=2) + "\n")
        written.append(path)
    return written


def _record(cls: type[BaseModel], seen: set[str], top: bool = False) -> dict[str, Any]:
    names = list(cls.model_fields)
    if top:
        names = [n for n in names if n in ENVELOPE_FIELDS] + [
            n for n in names if n not in ENVELOPE_FIELDS
        ]
    seen.add(cls.__name__)
    fields = []
    for name in names:
        info = cls.model_fields[name]
        field: dict[str, Any] = {"name": name, "type": _type(info.annotation, info.metadata, seen)}
        if info.description:
            field["doc"] = info.description
        if not info.is_required():
            field["default"] = _default(info.default)
        fields.append(field)
    record = {"type": "record", "name": cls.__name__, "namespace": NAMESPACE, "fields": fields}
    doc = (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
    if doc:
        record["doc"] = doc
    if top:
        record["kind"] = cls.KIND  # type: ignore[attr-defined]
        record["aggregate"] = cls.AGGREGATE  # type: ignore[attr-defined]
    return record


def _default(value: Any) -> Any:
    if isinstance(value, bool | int | str | float) or value is None:
        return value
    raise TypeError(f"unsupported Avro default {value!r}")


def _type(annotation: Any, metadata: list[Any], seen: set[str]) -> Any:
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = get_args(annotation)
        return _type(base, [*metadata, *extra], seen)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        inner = _type(args[0] if len(args) == 1 else Union[tuple(args)], metadata, seen)  # noqa: UP007
        return ["null", inner]
    if origin is Literal:
        return "string"
    if origin is list:
        return {"type": "array", "items": _type(get_args(annotation)[0], [], seen)}
    if origin is dict:
        return {"type": "map", "values": _type(get_args(annotation)[1], [], seen)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__ if annotation.__name__ in seen else _record(annotation, seen)
    return _scalar(annotation, metadata)


def _scalar(annotation: Any, metadata: list[Any]) -> Any:
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "long"
    if annotation is float:
        return "double"
    if annotation is str:
        return "string"
    if annotation is datetime:
        return {"type": "long", "logicalType": "timestamp-micros"}
    if annotation is date:
        return {"type": "int", "logicalType": "date"}
    if annotation is Decimal:
        spec = next((m for m in metadata if isinstance(m, DecimalSpec)), None)
        if spec is None:
            raise TypeError("Decimal fields need a DecimalSpec (use Money, Percent, ...)")
        return {"type": "bytes", "logicalType": "decimal",
                "precision": spec.precision, "scale": spec.scale}
    raise TypeError(f"no Avro mapping for {annotation!r}")
