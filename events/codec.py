"""Confluent wire format: magic byte 0, 4-byte big-endian schema id, Avro body.

One codec serves the confluent-kafka producers/consumers, the faust processors and the
archive. Schema ids come from a `SchemaIds` source (events/schema_ids.py): the built-in
one derives a stable id from the schema itself, `events.registry.ConfluentSchemaIds` talks
to a Confluent Schema Registry (used when CRM_SCHEMA_REGISTRY_URL is set).

Bytes of a current schema are read by that schema's compiled reader (events/avro_reader.py:
fastavro's record without its per-call walk of the schema). Decoding resolves the
writer's schema against the current one (a compatible change needs
nothing else) or, for a writer version with an upcaster, reads with the writer's schema
and upcasts (events/upcasting.py). Anything that is not a valid message raises
`DecodeError` with a reason fit for the dead-letter topic.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import fastavro
from fastavro.read import SchemaResolutionError
from pydantic import ValidationError

from domain.catalog import message_types
from domain.kernel.messages import Message
from events.avro import schema_for
from events.avro_reader import Reader, compile_reader
from events.avro_writer import Encoder, compile_record
from events.codec_messages import DecodeError, holds_model, trusted
from events.schema_ids import BuiltinSchemaIds, SchemaIds, builtin_id, id_form, subject_for
from events.upcasting import (
    UPCASTERS,
    Plan,
    Upcaster,
    UpcastError,
    defaulted_plan,
    drop_defaulted,
    upcast,
)

MAGIC = 0
_HEADER = struct.Struct(">bI")

__all__ = ["AvroCodec", "BuiltinSchemaIds", "DecodeError", "SchemaIds", "Upcaster",
           "builtin_id", "subject_for"]


@dataclass(frozen=True)
class _Reading:
    """How to read bytes of one writer schema id."""

    name: str
    writer: Any
    reader: Any | None  # None: read with the writer schema as is
    upcast_from: int | None = None
    plan: Plan | None = None
    source: dict[str, Any] | None = None  # the current schema, when bytes are read with it

    @cached_property
    def compiled(self) -> Reader | None:
        """The source schema's compiled reader, made when first decoding needs it (the
        encoder registers every type it writes, most of which it never reads)."""
        return None if self.source is None else compile_reader(self.source)


class AvroCodec:
    """Encode messages to wire-format bytes and back, with schema resolution."""

    def __init__(self, ids: SchemaIds | None = None,
                 upcasters: dict[tuple[str, int], Upcaster] | None = None,
                 types: dict[str, type[Message]] | None = None) -> None:
        """`types` replaces `message_types()` (tests); `upcasters` replaces UPCASTERS."""
        self._types = dict(message_types() if types is None else types)
        self._schemas = {name: schema_for(cls) for name, cls in self._types.items()}
        self._ids = BuiltinSchemaIds(self._schemas.values()) if ids is None else ids
        self._upcasters = UPCASTERS if upcasters is None else upcasters
        self._parsed: dict[str, Any] = {}
        self._headers: dict[str, bytes] = {}
        self._readings: dict[int, _Reading] = {}
        self._writers: dict[type, tuple[bytes, Encoder | None, Any, bool]] = {}
        self._flat: dict[type, bool] = {}

    def schema(self, name: str) -> dict[str, Any]:
        """The current schema of a message type."""
        return self._schemas[name]

    def encode(self, message: Message) -> bytes:
        """Wire-format bytes of one message."""
        cls = type(message)
        header, compiled, schema, flat = self._writers.get(cls) or self._writer_for(cls)
        if compiled is not None:
            # the schema's own compiled writer: fastavro's bytes, without its per-call walk
            # of the schema (events/avro_writer.py; docs/benchmarks.md, backfill item 16)
            out = bytearray(header)
            try:
                compiled(message.__dict__, out)
            except (ValueError, TypeError, AttributeError, KeyError, OverflowError) as exc:
                raise ValueError(f"{cls.__name__} cannot be encoded: {exc!r}") from exc
            return bytes(out)
        buf = io.BytesIO()
        buf.write(header)
        try:
            # A message of scalar fields is written from its own field dict: what
            # model_dump() would copy, value for value, without the copy (docs/benchmarks.md,
            # optimisation 4).
            fastavro.schemaless_writer(buf, schema,
                                       message.__dict__ if flat else message.model_dump())
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{cls.__name__} cannot be encoded: {exc}") from exc
        return buf.getvalue()

    def _writer_for(self, cls: type[Message]) -> tuple[bytes, Encoder | None, Any, bool]:
        name = cls.__name__
        header = self._headers.get(name) or self._register(name)
        flat = not any(holds_model(f.annotation) for f in cls.model_fields.values())
        self._writers[cls] = writer = (header, compile_record(self._schemas[name]),
                                       self._current(name), flat)
        return writer

    def decode(self, data: bytes) -> Message:
        """The message in `data`; raises DecodeError with a reason when it is not one."""
        reading, record = self._record(data)
        return self._to_message(reading, record)

    def decode_trusted(self, data: bytes) -> Message:
        """`decode` for a record of our own log, whose contract the core checked when it
        made the message (`crm rebuild`'s replay): the same DecodeError for bytes that are
        not a message we know (header, schema id, Avro body, trailing bytes, a record
        claiming another type), but a message of scalar fields written with the current
        schema is built from the decoded record without pydantic's second validation
        pass. Older writer schemas (resolved, upcast) and messages holding nested models
        go through `decode`'s validation, which builds them."""
        reading, record = self._record(data)
        cls = self._types[reading.name]
        flat = self._flat.get(cls)
        if flat is None:
            flat = self._flat[cls] = not any(holds_model(f.annotation)
                                             for f in cls.model_fields.values())
        if not flat or reading.reader is not None or reading.upcast_from is not None:
            return self._to_message(reading, record)
        return trusted(cls, record)

    def _record(self, data: bytes) -> tuple[_Reading, dict[str, Any]]:
        if not data or len(data) < _HEADER.size:
            raise DecodeError(f"message of {len(data or b'')} bytes is shorter than the "
                              "5-byte wire-format header")
        magic, schema_id = _HEADER.unpack_from(data)
        if magic != MAGIC:
            raise DecodeError(f"unknown magic byte {magic}: not Confluent wire format")
        reading = self._readings.get(schema_id) or self._reading_for(schema_id)
        name = reading.name
        if reading.compiled is not None:
            # the schema's own compiled reader: fastavro's record, without its per-call
            # walk of the schema (events/avro_reader.py)
            try:
                record, end = reading.compiled(bytes(data) if type(data) is not bytes
                                               else data, _HEADER.size)
            except Exception as exc:  # short, garbled: as fastavro's errors below
                raise DecodeError(f"{name} body is not valid Avro (truncated or corrupt): "
                                  f"{exc!r}") from exc
            if end != len(data):
                raise DecodeError(f"{name} body has {len(data) - end} "
                                  "unexpected trailing bytes")
            return reading, record
        body = io.BytesIO(data)
        body.seek(_HEADER.size)  # not data[5:]: that would copy the body
        try:
            record = fastavro.schemaless_reader(body, reading.writer, reading.reader)
        except SchemaResolutionError as exc:
            raise DecodeError(f"{name} (schema id {schema_id}) was written with a schema the "
                              f"current {name} cannot read: {exc}") from exc
        except Exception as exc:  # fastavro raises several types on truncated/garbled data
            raise DecodeError(f"{name} body is not valid Avro (truncated or corrupt): "
                              f"{exc!r}") from exc
        if body.tell() != len(data):
            raise DecodeError(f"{name} body has {len(data) - body.tell()} "
                              "unexpected trailing bytes")
        return reading, record

    def _current(self, name: str) -> Any:
        parsed = self._parsed.get(name)
        if parsed is None:
            parsed = self._parsed[name] = fastavro.parse_schema(self._schemas[name])
        return parsed

    def _register(self, name: str) -> bytes:
        cls = self._types.get(name)
        if cls is None:
            raise ValueError(f"{name} is not a message type this codec knows")
        schema_id = self._ids.id_for(subject_for(cls), self._schemas[name])
        self._headers[name] = header = _HEADER.pack(MAGIC, schema_id)
        self._readings.setdefault(schema_id, self._current_reading(name))
        return header

    def _current_reading(self, name: str) -> _Reading:
        """How to read bytes written with the current schema of `name`."""
        return _Reading(name, self._current(name), None, source=self._schemas[name])

    def _reading_for(self, schema_id: int) -> _Reading:
        writer = self._ids.schema_for(schema_id)
        if writer is None:
            raise DecodeError(f"unknown schema id {schema_id}: written with no schema this "
                              "codec knows (current or released)")
        name = str(writer.get("name", "")).rsplit(".", 1)[-1]
        if name not in self._types:
            raise DecodeError(f"unknown event type {name!r} (schema id {schema_id})")
        try:
            parsed = fastavro.parse_schema(writer)
        except Exception as exc:
            raise DecodeError(f"schema id {schema_id} is not a valid Avro schema: {exc}") from exc
        version = writer.get("schema_version")
        current = self._schemas[name]
        if isinstance(version, int) and (name, version) in self._upcasters \
                and version < current.get("schema_version", 1):
            reading = _Reading(name, parsed, None, upcast_from=version)
        elif id_form(writer, "") == id_form(current, ""):
            reading = self._current_reading(name)
        else:
            plan = defaulted_plan(writer, current)
            reading = _Reading(name, parsed, self._current(name), plan=plan or None)
        self._readings[schema_id] = reading
        return reading

    def _to_message(self, reading: _Reading, record: dict[str, Any]) -> Message:
        name = reading.name
        cls = self._types[name]
        if reading.plan:
            drop_defaulted(record, reading.plan)
        if reading.upcast_from is not None:
            try:
                record = upcast(name, reading.upcast_from, record, cls.SCHEMA_VERSION,
                                self._upcasters)
            except UpcastError as exc:
                raise DecodeError(str(exc)) from exc
        record["schema_version"] = cls.SCHEMA_VERSION
        try:
            # the validator itself: model_validate's wrapper costs every decode
            # (docs/benchmarks.md, optimisation 15)
            return cls.__pydantic_validator__.validate_python(record)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or name}: {e['msg']}"
                                 for e in exc.errors()[:5])
            raise DecodeError(f"{name} breaks its contract: {problems}") from exc
