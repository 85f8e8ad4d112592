"""BACKWARD compatibility: can the new schema read data written with the old one?

Two checks, both must pass (docs/schema-evolution.md):
- structural, by Avro's resolution rules: every field the reader has and the writer
  lacks has a default; a kept field's type is the same or an Avro promotion
  (int -> long -> float -> double, string <-> bytes); logical types (decimal precision
  and scale, timestamp unit) are unchanged; a union reads every branch the writer had;
  and a Literal field (an Avro string listing "one of: ..." in its doc) keeps its values;
- by example: a sample record of the old schema (every field filled with a typed value,
  once with optional branches set and once null) is written with the old schema and read
  with the new one by fastavro's schema resolution.
A new `schema_version` breaks compatibility on purpose: it needs an upcaster instead.
"""

from __future__ import annotations

import io
import json
import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import fastavro

from events.avro import RELEASED_DIR, SCHEMA_DIR, released_schemas
from events.upcasting import UPCASTERS, Upcaster, named_types

PROMOTIONS = {("int", "long"), ("int", "float"), ("int", "double"), ("long", "float"),
              ("long", "double"), ("float", "double"), ("string", "bytes"),
              ("bytes", "string")}


def backward_problems(new: dict[str, Any], old: dict[str, Any]) -> list[str]:
    """Why `new` cannot read data written with `old` (empty when it can)."""
    problems: list[str] = []
    _check(new, old, new["name"], named_types(new), named_types(old), problems, set())
    for optional in (True, False):
        try:
            record = sample_datum(old, named_types(old), optional)
            buf = io.BytesIO()
            fastavro.schemaless_writer(buf, fastavro.parse_schema(old), record)
            buf.seek(0)
            fastavro.schemaless_reader(buf, fastavro.parse_schema(old),
                                       fastavro.parse_schema(new))
        except Exception as exc:
            problems.append(f"resolution of a sample record fails: {exc}")
            break
    return problems


def evolution_problems(new: dict[str, Any], old: dict[str, Any], origin: str,
                       upcasters: dict[tuple[str, int], Upcaster] | None = None) -> list[str]:
    """Problems of `new` against one older schema: BACKWARD, or an upcaster chain."""
    upcasters = UPCASTERS if upcasters is None else upcasters
    name = new["name"]
    old_version = int(old.get("schema_version", 1))
    new_version = int(new.get("schema_version", 1))
    if old_version > new_version:
        return [f"{name}: schema_version went down from {old_version} ({origin})"]
    if old_version < new_version:
        missing = [v for v in range(old_version, new_version) if (name, v) not in upcasters]
        return [f"{name}: no upcaster from v{v} ({origin})" for v in missing]
    return [f"{name} vs {origin}: {p}" for p in backward_problems(new, old)]


def released_versions(name: str, directory: Path = RELEASED_DIR) -> dict[str, dict[str, Any]]:
    """The released schemas of one record, by file stem."""
    return {stem: schema for stem, schema in released_schemas(directory).items()
            if stem.split(".v", 1)[0] == name}


def previous_committed(path: Path) -> dict[str, Any] | None:
    """The newest committed version of `path` that differs from the file now on disk.

    None when not in a git checkout, the file has no history, or it never changed.
    """
    current = path.read_text(encoding="utf-8") if path.exists() else None
    try:
        top = _git(path.parent, "rev-parse", "--show-toplevel").strip()
        relative = path.resolve().relative_to(Path(top).resolve()).as_posix()
        commits = _git(path.parent, "log", "--format=%H", "-n", "20", "--", relative).split()
        for commit in commits:
            text = _git(path.parent, "show", f"{commit}:{relative}")
            if text != current:
                return json.loads(text)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return None
    return None


def check_all(directory: Path = SCHEMA_DIR, released: Path = RELEASED_DIR,
              with_git: bool = True) -> list[str]:
    """Every evolution problem of the committed schemas (what `crm schemas --check` shows)."""
    problems: list[str] = []
    for path in sorted(directory.glob("*.avsc")):
        new = json.loads(path.read_text(encoding="utf-8"))
        for stem, old in released_versions(path.stem, released).items():
            problems += evolution_problems(new, old, f"released {stem}")
        previous = previous_committed(path) if with_git else None
        if previous is not None:
            problems += evolution_problems(new, previous, "previous commit")
    return problems


def sample_datum(schema: Any, names: dict[str, Any], optional: bool = True) -> Any:
    """A typed sample value of an Avro type (optional branches set or left null)."""
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        if "null" in schema and (not optional or not branches):
            return None
        return sample_datum(branches[0], names, optional)
    if isinstance(schema, str):
        if schema in names:
            return sample_datum(names[schema], names, optional)
        schema = {"type": schema}
    kind, logical = schema["type"], schema.get("logicalType")
    if isinstance(kind, dict | list):
        return sample_datum(kind, names, optional)
    if logical == "decimal":
        return Decimal(7).scaleb(-schema.get("scale", 0))
    if logical in ("timestamp-micros", "timestamp-millis"):
        return datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    if logical == "date":
        return date(2026, 3, 1)
    simple = {"null": None, "boolean": True, "int": 7, "long": 7, "float": 1.5,
              "double": 1.5, "string": "sample", "bytes": b"sample"}
    if kind in simple:
        return simple[kind]
    if kind == "record":
        return {f["name"]: sample_datum(f["type"], names, optional) for f in schema["fields"]}
    if kind == "array":
        return [sample_datum(schema["items"], names, optional)]
    if kind == "map":
        return {"key": sample_datum(schema["values"], names, optional)}
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "fixed":
        return b"\0" * schema["size"]
    raise ValueError(f"no sample for Avro type {schema!r}")


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True, timeout=30).stdout


def _resolve(schema: Any, names: dict[str, Any]) -> Any:
    if isinstance(schema, str):
        schema = names.get(schema, {"type": schema})
    if isinstance(schema, dict) and isinstance(schema.get("type"), dict | list):
        return _resolve(schema["type"], names)
    return schema


def _check(reader: Any, writer: Any, path: str, rn: dict[str, Any], wn: dict[str, Any],
           problems: list[str], seen: set[tuple[str, str]]) -> None:
    reader, writer = _resolve(reader, rn), _resolve(writer, wn)
    if isinstance(writer, list):
        for branch in writer:
            _check(reader, branch, path, rn, wn, problems, seen)
        return
    if isinstance(reader, list):
        if not any(_readable(b, writer, rn, wn, seen) for b in reader):
            problems.append(f"{path}: {_label(writer)} fits no branch of the new union")
        return
    rtype, wtype = reader["type"], writer["type"]
    if (reader.get("logicalType"), reader.get("precision"), reader.get("scale")) != \
            (writer.get("logicalType"), writer.get("precision"), writer.get("scale")):
        problems.append(f"{path}: logical type changed from {_label(writer)} to "
                        f"{_label(reader)}")
    elif rtype != wtype and (wtype, rtype) not in PROMOTIONS:
        problems.append(f"{path}: type changed from {_label(writer)} to {_label(reader)}")
    elif rtype == "record":
        rname, wname = reader["name"].rsplit(".", 1)[-1], writer["name"].rsplit(".", 1)[-1]
        if rname != wname and wname not in reader.get("aliases", ()):
            problems.append(f"{path}: record {wname} became {rname}")
        if (rname, wname) in seen:
            return
        seen = seen | {(rname, wname)}
        written = {f["name"]: f for f in writer["fields"]}
        for field in reader["fields"]:
            old = written.get(field["name"]) or next(
                (written[a] for a in field.get("aliases", ()) if a in written), None)
            if old is None:
                if "default" not in field:
                    problems.append(f"{path}.{field['name']}: new field without a default")
            else:
                _check(field["type"], old["type"], f"{path}.{field['name']}", rn, wn,
                       problems, seen)
                lost = _choices(old) - _choices(field) if _choices(field) else set()
                if lost:
                    problems.append(f"{path}.{field['name']}: allowed values removed: "
                                    f"{sorted(lost)} (old messages would fail validation)")
    elif rtype in ("array", "map"):
        part = "items" if rtype == "array" else "values"
        _check(reader[part], writer[part], f"{path}[]", rn, wn, problems, seen)
    elif rtype == "enum" and "default" not in reader:
        lost = set(writer["symbols"]) - set(reader["symbols"])
        if lost:
            problems.append(f"{path}: enum symbols removed: {sorted(lost)}")
    elif rtype == "fixed" and reader["size"] != writer["size"]:
        problems.append(f"{path}: fixed size changed")


def _readable(reader: Any, writer: Any, rn: dict[str, Any], wn: dict[str, Any],
              seen: set[tuple[str, str]]) -> bool:
    found: list[str] = []
    _check(reader, writer, "", rn, wn, found, seen)
    return not found


def _choices(field: dict[str, Any]) -> set[str]:
    """The Literal values listed in a field's doc ("...; one of: a, b")."""
    _, sep, listed = str(field.get("doc", "")).rpartition("one of: ")
    return {v.strip() for v in listed.split(",")} if sep else set()


def _label(schema: Any) -> str:
    if isinstance(schema, dict):
        logical = schema.get("logicalType")
        if logical == "decimal":
            return f"decimal({schema.get('precision')},{schema.get('scale', 0)})"
        return str(logical or schema.get("name") or schema["type"])
    return str(schema)
