"""Where schema ids come from, and the built-in source that needs no server.

`BuiltinSchemaIds` derives a stable id from the schema itself (the same id on every
machine) and knows every current and released schema; `events.registry.ConfluentSchemaIds`
is the other `SchemaIds`, a Confluent Schema Registry. Subjects follow
TopicRecordNameStrategy: `<topic>-<namespace>.<RecordName>`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from domain.catalog import message_types
from domain.kernel.messages import Message
from events.avro import NAMESPACE, RELEASED_DIR, released_schemas, schema_for
from events.topics import topic_for_type

_KEEP = ("type", "name", "namespace", "fields", "symbols", "items", "values", "size",
         "logicalType", "precision", "scale", "schema_version")


class SchemaIds(Protocol):
    """Where schema ids come from (built-in or a Confluent Schema Registry)."""

    def id_for(self, subject: str, schema: dict[str, Any]) -> int: ...

    def schema_for(self, schema_id: int) -> dict[str, Any] | None: ...


def subject_for(cls: type[Message]) -> str:
    """The registry subject of a message class (TopicRecordNameStrategy)."""
    return f"{topic_for_type(cls)}-{NAMESPACE}.{cls.__name__}"


def builtin_id(schema: dict[str, Any]) -> int:
    """A stable 31-bit id: CRC-32 of the schema's resolution-relevant form.

    Like Avro's Parsing Canonical Form but keeping logical types and the record's
    `schema_version`, so e.g. a decimal whose scale changed, or a new version with the
    same shape, gets a new id.
    """
    form = json.dumps(id_form(schema, ""), sort_keys=True, separators=(",", ":"))
    return zlib.crc32(form.encode()) & 0x7FFFFFFF


def id_form(schema: Any, namespace: str) -> Any:
    """The resolution-relevant form of a schema: what its id is computed from, and what two
    schemas must share to read each other's bytes as they are."""
    if isinstance(schema, list):
        return [id_form(s, namespace) for s in schema]
    if isinstance(schema, str):
        primitive = schema in ("null", "boolean", "int", "long", "float", "double", "bytes",
                               "string")
        return schema if primitive or "." in schema else f"{namespace}.{schema}"
    out = {k: v for k, v in schema.items() if k in _KEEP}
    if "name" in out:
        namespace = out.pop("namespace", namespace)
        out["name"] = out["name"] if "." in out["name"] else f"{namespace}.{out['name']}"
    if "fields" in out:
        out["fields"] = [{"name": f["name"], "type": id_form(f["type"], namespace)}
                         for f in out["fields"]]
    for key in ("items", "values"):
        if key in out:
            out[key] = id_form(out[key], namespace)
    if isinstance(out.get("type"), dict | list):
        out["type"] = id_form(out["type"], namespace)
    return out


class BuiltinSchemaIds:
    """Stable ids without a server; knows the current schemas and every released one."""

    def __init__(self, schemas: Iterable[dict[str, Any]] | None = None,
                 released_dir: Path | None = RELEASED_DIR) -> None:
        """Knows `schemas` (default: every current one) and those in `released_dir`."""
        self._by_id: dict[int, dict[str, Any]] = {}
        if schemas is None:
            schemas = [schema_for(cls) for cls in message_types().values()]
        for schema in schemas:
            self.register(schema)
        if released_dir is not None:
            for schema in released_schemas(released_dir).values():
                self.register(schema)

    def register(self, schema: dict[str, Any]) -> int:
        """Remember a schema; returns its id."""
        schema_id = builtin_id(schema)
        known = self._by_id.setdefault(schema_id, schema)
        if known is not schema and id_form(known, "") != id_form(schema, ""):
            raise ValueError(f"schema id collision on {schema_id}: {schema['name']} "
                             f"and {known['name']}")
        return schema_id

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        """The id of `schema` (the subject does not matter for built-in ids)."""
        return self.register(schema)

    def schema_for(self, schema_id: int) -> dict[str, Any] | None:
        """The schema with this id, if known."""
        return self._by_id.get(schema_id)
