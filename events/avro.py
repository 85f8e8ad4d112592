"""Avro schemas derived from the typed messages in `domain/`.

The `.avsc` files in `events/schemas/` are generated from the pydantic models by
`crm schemas --write` and committed; a test regenerates them and fails on any drift,
so the Python types and the published contracts cannot disagree. `events/schemas/released/`
keeps every schema that was ever released (`release_schemas()`), so old bytes stay
readable and new versions can be checked against them (docs/schema-evolution.md).

The mapping of Python types to Avro types is events/avro_types.py's.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from domain.catalog import message_types
from domain.kernel.messages import Message
from events.avro_types import NAMESPACE, SchemaBuilder

__all__ = ["NAMESPACE", "RELEASED_DIR", "SCHEMA_DIR", "all_schemas", "release_schemas",
           "released_schemas", "schema_for", "schema_json", "write_schema_files"]

SCHEMA_DIR = Path(__file__).parent / "schemas"
RELEASED_DIR = SCHEMA_DIR / "released"


def schema_for(cls: type[Message]) -> dict[str, Any]:
    """The Avro record schema of one message class (envelope fields first)."""
    return SchemaBuilder().record(cls, top=True)


def all_schemas() -> dict[str, dict[str, Any]]:
    """Schema of every message type, by event_type."""
    return {name: schema_for(cls) for name, cls in message_types().items()}


def schema_json(schema: dict[str, Any]) -> str:
    """The committed text form of a schema (stable, UTF-8, newline-terminated)."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def write_schema_files(directory: Path = SCHEMA_DIR) -> list[Path]:
    """(Re)write one `<EventType>.avsc` per message type and delete stale ones.

    Returns the paths written. Only `directory/*.avsc` is touched, never `released/`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    schemas = all_schemas()
    for stale in directory.glob("*.avsc"):
        if stale.stem not in schemas:
            stale.unlink()
    written = []
    for name, schema in schemas.items():
        path = directory / f"{name}.avsc"
        text = schema_json(schema)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def released_schemas(directory: Path = RELEASED_DIR) -> dict[str, dict[str, Any]]:
    """Every released schema, by file stem (`<Name>.v<N>` or `<Name>.v<N>.r<K>`)."""
    return {p.name[: -len(".avsc")]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(directory.glob("*.avsc"))}


def release_schemas(directory: Path = SCHEMA_DIR, released: Path = RELEASED_DIR) -> list[Path]:
    """Copy each current schema into `released/` unless that exact schema is there already.

    The first release of version N is `<Name>.v<N>.avsc`; a later compatible change that
    keeps N is kept as `<Name>.v<N>.r<K>.avsc`, so bytes written with any released schema
    stay decodable. Returns the files created.
    """
    released.mkdir(parents=True, exist_ok=True)
    created = []
    for path in sorted(directory.glob("*.avsc")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        version = int(schema.get("schema_version", 1))
        same_version = sorted(released.glob(f"{path.stem}.v{version}.*avsc"))
        if any(json.loads(p.read_text(encoding="utf-8")) == schema for p in same_version):
            continue
        target = released / f"{path.stem}.v{version}.avsc"
        revision = 2
        while target.exists():
            target = released / f"{path.stem}.v{version}.r{revision}.avsc"
            revision += 1
        shutil.copyfile(path, target)
        created.append(target)
    return created
