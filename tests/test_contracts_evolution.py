"""Schema evolution: BACKWARD against released and previously committed schemas, and the
upcasting path for a change that cannot be compatible.

The upcasting scenario is self-contained: its message classes derive from `Message`
directly (KIND set by hand), so `message_types()` never sees them, and the codecs here get
explicit `types`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, Field

from domain.kernel.messages import Message, Percent, Quantity, utc
from events.avro import SCHEMA_DIR, release_schemas, schema_for, schema_json
from events.codec import AvroCodec, BuiltinSchemaIds, DecodeError
from events.compat import (
    backward_problems,
    evolution_problems,
    previous_committed,
    released_versions,
)
from events.upcasting import Upcaster, upcaster

SCHEMA_FILES = sorted(SCHEMA_DIR.glob("*.avsc"))


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.stem)
def test_schema_reads_every_released_version(path: Path) -> None:
    new = _load(path)
    problems = [p for stem, old in released_versions(path.stem).items()
                for p in evolution_problems(new, old, f"released {stem}")]
    assert problems == []


def test_every_schema_reads_its_previously_committed_version() -> None:
    if not (SCHEMA_DIR.parents[1] / ".git").exists():
        pytest.skip("not a git checkout: no committed history to compare with")
    problems = []
    for path in SCHEMA_FILES:
        previous = previous_committed(path)  # None: the file never changed since it was added
        if previous is not None:
            problems += evolution_problems(_load(path), previous, f"{path.stem} previous commit")
    assert problems == []


# --- the checker itself ----------------------------------------------------------------

def _record(*fields: dict[str, Any], name: str = "R", version: int = 1) -> dict[str, Any]:
    return {"type": "record", "name": name, "namespace": "genims.crm",
            "schema_version": version, "fields": list(fields)}


DEC = {"type": "bytes", "logicalType": "decimal", "precision": 15, "scale": 2}
BASE = _record({"name": "id", "type": "string", "doc": "Kind; one of: a, b"},
               {"name": "n", "type": "int"},
               {"name": "amount", "type": DEC}, {"name": "note", "type": ["null", "string"],
                                                 "default": None})


@pytest.mark.parametrize("change, compatible", [
    (lambda f: [*f, {"name": "extra", "type": "string", "default": "x"}], True),
    (lambda f: [*f, {"name": "extra", "type": "string"}], False),
    (lambda f: [x for x in f if x["name"] != "note"], True),  # removed: old data still reads
    (lambda f: [{**x, "type": "long"} if x["name"] == "n" else x for x in f], True),
    (lambda f: [{**x, "type": "string"} if x["name"] == "n" else x for x in f], False),
    (lambda f: [{**x, "type": {**DEC, "scale": 4}} if x["name"] == "amount" else x
                for x in f], False),
    (lambda f: [{**x, "type": ["null", "string"], "default": None} if x["name"] == "id"
                else x for x in f], True),  # required -> optional
    (lambda f: [{**x, "type": "string"} if x["name"] == "note" else x for x in f], False),
    (lambda f: [{**x, "doc": "Kind; one of: a, b, c"} if x["name"] == "id" else x
                for x in f], True),  # a Literal value added
    (lambda f: [{**x, "doc": "Kind; one of: a"} if x["name"] == "id" else x
                for x in f], False),  # a Literal value removed
])
def test_backward_checker(change: Any, compatible: bool) -> None:
    new = _record(*change(BASE["fields"]))
    assert (backward_problems(new, BASE) == []) is compatible


def test_a_new_field_without_default_in_a_nested_record_is_incompatible() -> None:
    line = {"type": "record", "name": "Line", "fields": [{"name": "sku", "type": "string"}]}
    wider = {**line, "fields": [*line["fields"], {"name": "qty", "type": "long"}]}
    old = _record({"name": "lines", "type": {"type": "array", "items": line}})
    new = _record({"name": "lines", "type": {"type": "array", "items": wider}})
    assert any("qty" in p for p in backward_problems(new, old))


def test_a_version_bump_needs_an_upcaster_instead_of_compatibility() -> None:
    old = BASE
    new = _record({"name": "id", "type": "long"}, version=2)
    assert evolution_problems(new, old, "released", upcasters={}) == [
        "R: no upcaster from v1 (released)"]
    assert evolution_problems(new, old, "released", upcasters={("R", 1): dict}) == []
    assert evolution_problems(old, new, "x", upcasters={}) != []  # version went down


def test_release_schemas_keeps_every_distinct_schema(tmp_path: Path) -> None:
    current, released = tmp_path / "schemas", tmp_path / "released"
    current.mkdir()
    (current / "R.avsc").write_text(schema_json(BASE))
    assert [p.name for p in release_schemas(current, released)] == ["R.v1.avsc"]
    assert release_schemas(current, released) == []  # already there
    wider = _record(*BASE["fields"], {"name": "extra", "type": "string", "default": ""})
    (current / "R.avsc").write_text(schema_json(wider))
    assert [p.name for p in release_schemas(current, released)] == ["R.v1.r2.avsc"]
    (current / "R.avsc").write_text(schema_json(_record({"name": "id", "type": "long"},
                                                        version=2)))
    assert [p.name for p in release_schemas(current, released)] == ["R.v2.avsc"]
    assert [p.name for p in sorted(released.iterdir())] == [
        "R.v1.avsc", "R.v1.r2.avsc", "R.v2.avsc"]


# --- a compatible change: old bytes, current class, defaults applied ------------------

class Part(BaseModel):
    """A part."""

    sku: str


def _part_v2() -> type[BaseModel]:
    class Part(BaseModel):  # same record name, one more field
        """A part."""

        sku: str
        discount: Percent = Decimal("2.50")

    return Part


PartV2: Any = _part_v2()


def _classes() -> tuple[type[Message], type[Message], type[Message]]:
    """Three versions of one record `PartShipped`, as a producer saw them over time."""

    class PartShipped(Message):  # v1: one name field, a quantity called `qty`
        KIND: ClassVar[str] = "event"
        AGGREGATE: ClassVar[str] = "lead"
        contact_name: str
        qty: int
        parts: list[Part] = Field(default_factory=list)

    v1 = PartShipped

    class PartShipped(Message):  # type: ignore[no-redef]  # v1, compatible additions
        KIND: ClassVar[str] = "event"
        AGGREGATE: ClassVar[str] = "lead"
        contact_name: str
        qty: int
        parts: list[PartV2] = Field(default_factory=list)
        discount: Percent = Decimal("1.25")
        note: str | None = None

    v1b = PartShipped

    class PartShipped(Message):  # type: ignore[no-redef]  # v2: name split, qty renamed
        KIND: ClassVar[str] = "event"
        AGGREGATE: ClassVar[str] = "lead"
        SCHEMA_VERSION: ClassVar[int] = 2
        first_name: str
        last_name: str
        quantity: Quantity
        parts: list[PartV2] = Field(default_factory=list)
        discount: Percent = Decimal("1.25")
        note: str | None = None

    return v1, v1b, PartShipped


def _encode_with(cls: type[Message], message: Message) -> bytes:
    return AvroCodec(BuiltinSchemaIds([schema_for(cls)], released_dir=None),
                     types={cls.__name__: cls}).encode(message)


def _v1_message(v1: type[Message]) -> Message:
    return v1(event_id="e1", aggregate_id="L1", occurred_at=utc(2026, 3, 1, 9),
              contact_name="Asha Rao", qty=12, parts=[Part(sku="P-1")])


def test_old_bytes_read_by_a_compatible_newer_schema_get_the_model_defaults() -> None:
    v1, v1b, _ = _classes()
    data = _encode_with(v1, _v1_message(v1))
    codec = AvroCodec(BuiltinSchemaIds([schema_for(v1b), schema_for(v1)], released_dir=None),
                      types={"PartShipped": v1b})
    decoded: Any = codec.decode(data)
    assert decoded.discount == Decimal("1.25") and decoded.note is None
    assert decoded.parts == [PartV2(sku="P-1", discount=Decimal("2.50"))]
    assert decoded.contact_name == "Asha Rao" and decoded.qty == 12


# --- an incompatible change: released old schema + upcaster --------------------------

def _split_name(record: dict[str, Any]) -> dict[str, Any]:
    first, _, last = record.pop("contact_name").partition(" ")
    record["quantity"] = Decimal(record.pop("qty")).quantize(Decimal("0.0001"))
    return {**record, "first_name": first, "last_name": last or "-"}


def test_an_incompatible_change_is_read_through_the_released_schema_and_an_upcaster(
        tmp_path: Path) -> None:
    v1, _, v2 = _classes()
    schemas, released = tmp_path / "schemas", tmp_path / "released"
    schemas.mkdir()
    (schemas / "PartShipped.avsc").write_text(schema_json(schema_for(v1)))
    assert [p.name for p in release_schemas(schemas, released)] == ["PartShipped.v1.avsc"]
    (schemas / "PartShipped.avsc").write_text(schema_json(schema_for(v2)))

    old = json.loads((released / "PartShipped.v1.avsc").read_text())
    assert backward_problems(schema_for(v2), old) != []  # really incompatible
    upcasters: dict[tuple[str, int], Upcaster] = {}
    upcaster("PartShipped", 1, registry=upcasters)(_split_name)
    assert evolution_problems(schema_for(v2), old, "released", upcasters) == []

    data = _encode_with(v1, _v1_message(v1))  # bytes a v1 producer wrote
    ids = BuiltinSchemaIds([schema_for(v2)], released_dir=released)
    codec = AvroCodec(ids, upcasters=upcasters, types={"PartShipped": v2})
    decoded = codec.decode(data)
    assert decoded == v2(event_id="e1", aggregate_id="L1", occurred_at=utc(2026, 3, 1, 9),
                         first_name="Asha", last_name="Rao", quantity=Decimal("12.0000"),
                         parts=[PartV2(sku="P-1")])
    assert decoded.schema_version == 2
    current = v2(event_id="e2", aggregate_id="L1", occurred_at=utc(2026, 3, 2),
                 first_name="A", last_name="B", quantity=Decimal("1.5000"))
    assert codec.decode(codec.encode(current)) == current

    without = AvroCodec(BuiltinSchemaIds([schema_for(v2)], released_dir=released),
                        upcasters={}, types={"PartShipped": v2})
    with pytest.raises(DecodeError, match="cannot read"):
        without.decode(data)


def test_previous_committed_finds_the_last_committed_version_that_differs(
        tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    path = tmp_path / "R.avsc"
    assert previous_committed(path) is None  # no history
    path.write_text(schema_json(BASE))
    git("add", "R.avsc")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "v1")
    assert previous_committed(path) is None  # unchanged since its only commit
    wider = _record(*BASE["fields"], {"name": "extra", "type": "string"})
    path.write_text(schema_json(wider))
    assert previous_committed(path) == BASE  # uncommitted change vs HEAD
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "v2")
    assert previous_committed(path) == BASE  # committed change vs the commit before
    assert evolution_problems(wider, BASE, "previous commit") != []
