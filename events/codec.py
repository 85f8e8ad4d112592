"""Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.

One codec serves the confluent-kafka producers/consumers, the faust processors and the
archive. Schema ids come from a `SchemaIds` source: the built-in one derives a stable id
from the schema itself (same id on every machine, no server needed); the Confluent Schema
Registry client is used when CRM_SCHEMA_REGISTRY_URL is set.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from typing import Any, Protocol

import fastavro
from fastavro.validation import ValidationError as AvroValidationError

from domain.messages import Message, message_types
from events.avro import all_schemas

MAGIC = 0
_HEADER = struct.Struct(">bI")


class DecodeError(ValueError):
    """Bytes that are not a message we know; `reason` goes to the dead-letter topic."""


class SchemaIds(Protocol):
    """Where schema ids come from (built-in or a Confluent Schema Registry)."""

    def id_for(self, subject: str, schema: dict[str, Any]) -> int: ...

    def schema_for(self, schema_id: int) -> dict[str, Any] | None: ...


class BuiltinSchemaIds:
    """Stable ids without a server: a CRC of the schema's canonical form."""

    def __init__(self) -> None:
        self._by_id: dict[int, dict[str, Any]] = {}

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        canonical = fastavro.schema.to_parsing_canonical_form(schema)
        schema_id = zlib.crc32(canonical.encode()) & 0x7FFFFFFF
        self._by_id[schema_id] = schema
        return schema_id

    def schema_for(self, schema_id: int) -> dict[str, Any] | None:
        return self._by_id.get(schema_id)


Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class AvroCodec:
    """Encode messages to wire-format bytes and back, with schema resolution."""

    def __init__(self, ids: SchemaIds | None = None,
                 upcasters: dict[tuple[str, int], Upcaster] | None = None) -> None:
        self._ids = ids or BuiltinSchemaIds()
        self._types = message_types()
        self._upcasters = upcasters or {}
        self._writer: dict[str, tuple[bytes, Any]] = {}
        self._reader: dict[int, tuple[str, Any, Any]] = {}
        for name, schema in all_schemas().items():
            parsed = fastavro.parse_schema(schema)
            schema_id = self._ids.id_for(f"{name}", schema)
            self._writer[name] = (_HEADER.pack(MAGIC, schema_id), parsed)
            self._reader[schema_id] = (name, parsed, parsed)

    def encode(self, message: Message) -> bytes:
        """Wire-format bytes of one message."""
        header, parsed = self._writer[message.event_type]
        buf = io.BytesIO()
        buf.write(header)
        try:
            fastavro.schemaless_writer(buf, parsed, message.model_dump())
        except (AvroValidationError, ValueError, TypeError) as exc:
            raise ValueError(f"{message.event_type} cannot be encoded: {exc}") from exc
        return buf.getvalue()

    def decode(self, data: bytes) -> Message:
        """The message in `data`; raises DecodeError with a reason when it is not one."""
        if not data or len(data) < _HEADER.size:
            raise DecodeError("message shorter than the 5-byte wire-format header")
        magic, schema_id = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise DecodeError(f"unknown magic byte {magic}: not Confluent wire format")
        name, writer, reader = self._resolve(schema_id)
        try:
            record = fastavro.schemaless_reader(io.BytesIO(data[_HEADER.size:]), writer, reader)
        except Exception as exc:  # fastavro raises several types on truncated/garbled data
            raise DecodeError(f"{name} body is not valid Avro: {exc!r}") from exc
        return self._to_message(name, record)

    def _resolve(self, schema_id: int) -> tuple[str, Any, Any]:
        if schema_id in self._reader:
            return self._reader[schema_id]
        writer = self._ids.schema_for(schema_id)
        if writer is None:
            raise DecodeError(f"unknown schema id {schema_id}")
        name = writer["name"]
        if name not in self._writer:
            raise DecodeError(f"unknown event type {name}")
        entry = (name, fastavro.parse_schema(writer), self._writer[name][1])
        self._reader[schema_id] = entry
        return entry

    def _to_message(self, name: str, record: dict[str, Any]) -> Message:
        cls = self._types[name]
        version = record.get("schema_version") or 1
        while (name, version) in self._upcasters:
            record = self._upcasters[(name, version)](record)
            version += 1
        record["schema_version"] = cls.SCHEMA_VERSION
        try:
            return cls.model_validate(record)
        except ValueError as exc:
            raise DecodeError(f"{name} breaks its contract: {exc}") from exc
