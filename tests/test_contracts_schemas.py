"""The committed contracts match the code: schema files, topic map, catalog page.

Also checks the Python -> Avro mapping on small self-contained models (Literal docs,
nested records defined once, maps, decimals, optional defaults).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import fastavro
import pytest
from pydantic import BaseModel, Field, ValidationError

from domain.catalog import message_types
from domain.kernel.messages import Message, Money, Percent, Timestamp
from events.avro import SCHEMA_DIR, all_schemas, schema_for, schema_json, write_schema_files
from events.catalog import DOCS_PATH, render_catalog
from events.topics import AGGREGATE_TOPICS, COMMANDS, TOPICS, topic_for, topic_for_type
from events.upcasting import named_types

HINT = "run `crm schemas --write` (events.catalog.write_all) and commit the result"


def test_committed_schema_files_match_the_message_classes() -> None:
    expected = {name: schema_json(schema) for name, schema in all_schemas().items()}
    committed = {p.stem: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.avsc")}
    assert sorted(set(expected) - set(committed)) == [], f"schema files missing: {HINT}"
    assert sorted(set(committed) - set(expected)) == [], f"stale schema files: {HINT}"
    drifted = sorted(n for n in expected if expected[n] != committed[n])
    assert drifted == [], f"schemas differ from the classes: {HINT}"


def test_every_schema_file_parses() -> None:
    for path in SCHEMA_DIR.glob("*.avsc"):
        fastavro.parse_schema(json.loads(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", sorted(message_types()))
def test_every_message_type_has_a_topic(name: str) -> None:
    cls = message_types()[name]
    topic = topic_for_type(cls)
    assert topic in {spec.name for spec in TOPICS}
    if cls.KIND == "command":
        assert topic == COMMANDS
    else:
        assert cls.AGGREGATE in AGGREGATE_TOPICS, f"add {cls.AGGREGATE!r} to AGGREGATE_TOPICS"
    instance = cls.model_construct(aggregate_type=cls.AGGREGATE)
    assert topic_for(instance) == topic


def test_topics_are_declared_once() -> None:
    names = [spec.name for spec in TOPICS]
    assert len(names) == len(set(names))


def test_the_catalog_page_is_up_to_date_and_lists_every_message() -> None:
    page = DOCS_PATH.read_text(encoding="utf-8")
    assert page == render_catalog(), f"docs/events.md is out of date: {HINT}"
    for name in message_types():
        assert f"\n### {name}\n" in page
        assert f"[{name}](#{name.lower()})" in page


def _valid_default(value: Any, avro: Any, names: dict[str, Any]) -> bool:
    """Avro's rule: a default is valid for the (first branch of the) field's type."""
    if isinstance(avro, list):
        return _valid_default(value, avro[0], names)
    if isinstance(avro, str) and avro in names:
        avro = names[avro]
    kind = avro if isinstance(avro, str) else avro["type"]
    checks = {
        "null": lambda v: v is None,
        "boolean": lambda v: isinstance(v, bool),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "long": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "double": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "string": lambda v: isinstance(v, str),
        "bytes": lambda v: isinstance(v, str) and all(ord(c) < 256 for c in v),
        "array": lambda v: isinstance(v, list)
        and all(_valid_default(i, avro["items"], names) for i in v),
        "map": lambda v: isinstance(v, dict)
        and all(_valid_default(i, avro["values"], names) for i in v.values()),
        "record": lambda v: isinstance(v, dict) and all(
            _valid_default(v[f["name"]], f["type"], names) if f["name"] in v
            else "default" in f for f in avro["fields"]),
    }
    return bool(checks[kind](value))


def test_every_default_is_a_valid_avro_default_and_null_comes_first() -> None:
    for name, schema in all_schemas().items():
        names = named_types(schema)
        for record in [schema, *(r for r in names.values() if r.get("type") == "record")]:
            for f in record["fields"]:
                if "default" in f:
                    assert _valid_default(f["default"], f["type"], names), (name, f)
                if isinstance(f["type"], list) and f.get("default", 0) is None:
                    assert f["type"][0] == "null", (name, f)


# --- the mapping on small models ---------------------------------------------------------

class Line(BaseModel):
    """A line."""

    sku: str = Field(max_length=20)
    price: Money
    kind: Literal["good", "service"] = "good"


class Sample(Message):
    """A sample with every kind of field."""

    KIND = "event"
    AGGREGATE = ""  # not registered as a message type

    status: Literal["open", "won", "lost"] = Field(description="Where it stands")
    lines: list[Line]
    spare: Line | None = None
    by_sku: dict[str, Line] = Field(default_factory=dict)
    tags: dict[str, int] = Field(default_factory=lambda: {"a": 1})
    discount: Percent = Decimal("5.50")
    country: str | None = "India"
    due: date | None = None
    seen_at: Timestamp | None = None
    started: datetime = datetime(2026, 1, 1, tzinfo=UTC)


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def test_the_mapping_of_literals_nested_records_maps_and_defaults() -> None:
    schema = schema_for(Sample)
    fastavro.parse_schema(schema)
    assert _field(schema, "status") == {"name": "status", "type": "string",
                                         "doc": "Where it stands; one of: open, won, lost"}
    text = json.dumps(schema)
    assert text.count('"name": "Line"') == 1  # defined once, then referenced
    assert _field(schema, "lines")["type"]["items"]["name"] == "Line"
    assert _field(schema, "spare")["type"] == ["null", "genims.crm.Line"]
    assert _field(schema, "by_sku")["type"] == {"type": "map", "values": "genims.crm.Line"}
    assert _field(schema, "by_sku")["default"] == {}
    assert _field(schema, "tags")["default"] == {"a": 1}
    assert _field(schema, "discount")["type"]["precision"] == 5
    assert _field(schema, "discount")["default"] == "\x02\x26"  # 550 as big-endian bytes
    assert _field(schema, "country")["type"] == ["string", "null"]  # default first
    assert _field(schema, "country")["default"] == "India"
    assert _field(schema, "due")["type"] == ["null", {"type": "int", "logicalType": "date"}]
    assert _field(schema, "started")["default"] == 1767225600000000
    line = _field(schema, "lines")["type"]["items"]
    assert _field(line, "kind")["doc"] == "one of: good, service"
    assert _field(line, "sku")["max_length"] == 20


def test_writing_schema_files_deletes_stale_ones_but_never_released(tmp_path: Path) -> None:
    (tmp_path / "released").mkdir()
    (tmp_path / "Gone.avsc").write_text("{}")
    (tmp_path / "released" / "Gone.v1.avsc").write_text("{}")
    written = write_schema_files(tmp_path)
    assert not (tmp_path / "Gone.avsc").exists()
    assert (tmp_path / "released" / "Gone.v1.avsc").exists()
    assert {p.stem for p in written} == set(message_types())


@pytest.mark.parametrize("value", ["1e30", "-1e30", "1E+13", "10000000000000.00"])
def test_a_money_value_beyond_its_precision_is_a_validation_error_however_large(
        value: str) -> None:
    with pytest.raises(ValidationError, match=r"exceeds DECIMAL\(15,2\)"):
        Line(sku="X", price=Decimal(value))


def test_the_largest_money_value_and_zero_in_any_exponent_are_valid() -> None:
    assert Line(sku="X", price=Decimal("9999999999999.99")).price == Decimal("9999999999999.99")
    assert Line(sku="X", price=Decimal("0E+40")).price == Decimal("0.00")
