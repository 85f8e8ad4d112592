"""The event catalog (docs/events.md), generated from the Avro schemas.

For downstream teams: per topic, every event and command with its key, kind, meaning and
fields (Avro type, optional or not, meaning); the envelope once; the topic table; the
compatibility rule. `write_all()` regenerates the schemas and this page together
(`crm schemas --write`); a test fails when the committed page is out of date.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from domain.kernel.messages import ENVELOPE_FIELDS
from events.avro import NAMESPACE, SCHEMA_DIR, all_schemas, schema_json, write_schema_files
from events.topics import (
    AGGREGATE_TOPICS,
    COMMANDS,
    DEAD_LETTER,
    ERP_REPLIES,
    FOREVER,
    TOPICS,
)
from events.upcasting import named_types

DOCS_PATH = Path(__file__).resolve().parent.parent / "docs" / "events.md"

_HEADER = f"""# Event catalog

Generated from `events/schemas/*.avsc` by `crm schemas --write`; do not edit by hand.

Every message is one Avro record (namespace `{NAMESPACE}`) in the Confluent wire format:
magic byte 0, the 4-byte big-endian schema id, the Avro binary body. The Kafka key is the
message's `aggregate_id` (UTF-8), so one aggregate's messages stay in order on one
partition. Several record types share a topic; registry subjects follow
TopicRecordNameStrategy: `<topic>-{NAMESPACE}.<RecordName>`. Money and quantities are Avro
`decimal` (never float); timestamps are `timestamp-micros` in UTC; dates are `date`.

## Compatibility rule: BACKWARD

A new version of a schema must read every message written with the previous and every
released version (fields may be added only with a default, removed freely; types change
only by Avro promotion). A change that cannot be compatible gets a new `schema_version`
and an upcaster (see [schema-evolution.md](schema-evolution.md)). Consumers should
therefore always decode with the newest schema.
"""


def render_catalog(schemas: dict[str, dict[str, Any]] | None = None) -> str:
    """The catalog page in Markdown (from `all_schemas()` unless schemas are given)."""
    schemas = all_schemas() if schemas is None else schemas
    out = [_HEADER, _topics_section(), _guarantee_section(), _dead_letter_section()]
    envelope = next(iter(schemas.values()), None)
    if envelope is not None:
        out.append("## Envelope (every message)\n\nEvery record starts with these fields; "
                   "the tables below list only the fields after them.\n")
        out.append(_field_table([f for f in envelope["fields"]
                                 if f["name"] in ENVELOPE_FIELDS], {}))
    out.append(_index(schemas))
    nested: dict[str, dict[str, Any]] = {}
    by_topic: dict[str, list[str]] = {}
    for name, schema in schemas.items():
        by_topic.setdefault(_topic(schema), []).append(name)
    for spec in TOPICS:
        names = sorted(by_topic.pop(spec.name, []),
                       key=lambda n: (schemas[n].get("aggregate", ""), n))
        if names:
            out.append(f"## Topic `{spec.name}`\n\n{spec.doc}.\n")
            out.extend(_message(schemas[n], nested) for n in names)
    for topic, names in sorted(by_topic.items()):
        out.append(f"## Topic `{topic}` (not in the topic table)\n")
        out.extend(_message(schemas[n], nested) for n in sorted(names))
    if nested:
        out.append("## Records used inside messages\n")
        for full in sorted(nested):
            record = nested[full]
            out.append(f"### {record['name']}\n\n{_escape(record.get('doc', ''))}\n")
            out.append(_field_table(record["fields"], named_types(record)))
    return "\n".join(part.rstrip("\n") + "\n" for part in out)


def write_all(schema_dir: Path = SCHEMA_DIR, docs_path: Path = DOCS_PATH) -> list[Path]:
    """Write the `.avsc` files (deleting stale ones) and docs/events.md; returns the paths."""
    written = write_schema_files(schema_dir)
    text = render_catalog()
    if not docs_path.exists() or docs_path.read_text(encoding="utf-8") != text:
        docs_path.parent.mkdir(parents=True, exist_ok=True)
        docs_path.write_text(text, encoding="utf-8")
    return [*written, docs_path]


def _topic(schema: dict[str, Any]) -> str:
    if schema.get("kind") == "command":
        return COMMANDS
    return AGGREGATE_TOPICS.get(schema.get("aggregate", ""), "(no topic)")


def _topics_section() -> str:
    rows = ["## Topics\n", "| Topic | Partitions | Retention | Carries |", "|---|---|---|---|"]
    for spec in TOPICS:
        days = "forever" if spec.retention_ms == FOREVER else \
            f"{spec.retention_ms / 86_400_000:g} days"
        rows.append(f"| `{spec.name}` | {spec.partitions} | {days} | {_escape(spec.doc)} |")
    return "\n".join(rows) + "\n"


# Who writes each topic and what a consumer can count on, per broker (docs/kafka.md,
# "Exactly once"; proven by tests/test_kafka_exactly_once.py).
_GUARANTEE_INTRO = """## Delivery guarantee per topic

The core worker writes its events exactly once where the broker honours Kafka transactions
(Apache Kafka, a managed Kafka): each input's events, dead letters and bridged ERP replies
commit in one transaction with the input's offset. On the embedded Tansu, which accepts
transactions but neither hides aborted records nor keeps transactional offsets, it runs at
least once. `CRM_PROCESSING_GUARANTEE` (`auto` by default: probes the broker; or
`exactly_once`, `at_least_once`) chooses; see [kafka.md](kafka.md#exactly-once).

- **exactly once** holds for consumers with `isolation.level=read_committed`. A
  `read_uncommitted` consumer also sees the records of a killed worker's aborted
  transaction, which its successor derives again with the same bytes. Events become
  visible when the core commits (every second, or every 1000 inputs).
- **at least once**: after a core worker is killed, the events it derived since its last
  commit come again, byte-identical (same `event_id`, same `aggregate_version`): skip an
  aggregate's events up to the version you hold.
- A backfill publishes its pre-computed log directly, not through the core, and without
  transactions; an interrupted publish resumes after what each partition holds, so no
  record is written twice on either broker.
"""


def _guarantees(topic: str) -> tuple[str, str, str]:
    """(written by, on Apache Kafka, on Tansu) for a topic."""
    if topic == COMMANDS:
        return ("producers (API, simulators); ERP replies bridged by the core",
                "producers: at least once (idempotent; a repeated input has the same "
                "`event_id` and derives nothing); bridged ERP replies: exactly once",
                "at least once")
    if topic == ERP_REPLIES:
        return ("the ERP", "the ERP's own guarantee", "the ERP's own guarantee")
    if topic == DEAD_LETTER:
        return ("the core and the other consumers",
                "the core's: exactly once; the others': at least once", "at least once")
    return ("the core (or a backfill's publisher)", "exactly once", "at least once")


def _guarantee_section() -> str:
    rows = [_GUARANTEE_INTRO, "| Topic | Written by | Apache Kafka | Tansu (embedded) |",
            "|---|---|---|---|"]
    for spec in TOPICS:
        rows.append("| `{}` | {} | {} | {} |".format(spec.name, *_guarantees(spec.name)))
    return "\n".join(rows) + "\n"


def _dead_letter_section() -> str:
    return (f"## Dead letters\n\nA message that cannot be decoded or breaks its contract is "
            f"copied, original key and bytes unchanged, to `{DEAD_LETTER}` with headers "
            "`dlq.reason` (why, in words), `dlq.source.topic`, `dlq.source.partition` and "
            "`dlq.source.offset`; the consumer keeps going.\n")


def _index(schemas: dict[str, dict[str, Any]]) -> str:
    rows = ["## All messages\n", "| Message | Kind | Topic | Key | Version |",
            "|---|---|---|---|---|"]
    for name, schema in sorted(schemas.items()):
        rows.append(f"| [{name}](#{name.lower()}) | {schema.get('kind', '')} | "
                    f"`{_topic(schema)}` | {schema.get('aggregate', '')} id | "
                    f"{schema.get('schema_version', 1)} |")
    return "\n".join(rows) + "\n"


def _message(schema: dict[str, Any], nested: dict[str, dict[str, Any]]) -> str:
    names = named_types(schema)
    for full, record in names.items():
        if "." in full and record is not schema and record.get("type") == "record":
            nested.setdefault(full, record)
    fields = [f for f in schema["fields"] if f["name"] not in ENVELOPE_FIELDS]
    head = (f"### {schema['name']}\n\n{_escape(schema.get('doc', ''))}\n\n"
            f"- kind: {schema.get('kind', '')}; schema version "
            f"{schema.get('schema_version', 1)}\n"
            f"- key: `aggregate_id` = the {schema.get('aggregate', '')} id "
            f"(aggregate_type `{schema.get('aggregate', '')}`)\n")
    if not fields:
        return head + "\nNo fields beyond the envelope.\n"
    return head + "\n" + _field_table(fields, names)


def _field_table(fields: list[dict[str, Any]], names: dict[str, Any]) -> str:
    rows = ["| Field | Avro type | Optional | Meaning |", "|---|---|---|---|"]
    for f in fields:
        avro = f["type"]
        branches = avro if isinstance(avro, list) else [avro]
        shown = " or ".join(_type_label(b, f) for b in branches if b != "null")
        if "default" not in f:
            optional = "no"
        elif f["default"] is None:
            optional = "yes (null)"
        else:
            optional = f"yes (default `{schema_json(f['default']).strip()}`)"
        rows.append(f"| `{f['name']}` | {shown} | {optional} | {_escape(f.get('doc', ''))} |")
    return "\n".join(rows) + "\n"


def _type_label(avro: Any, field: dict[str, Any] | None = None) -> str:
    if isinstance(avro, list):
        return " or ".join(_type_label(b) for b in avro if b != "null")
    if isinstance(avro, str):
        label = avro.rsplit(".", 1)[-1]
        if field is not None and avro == "string" and "max_length" in field:
            label = f"string (max {field['max_length']})"
        return f"[{label}](#{label.lower()})" if "." in avro else label
    logical = avro.get("logicalType")
    if logical == "decimal":
        return f"decimal({avro['precision']},{avro['scale']})"
    if logical:
        return str(logical)
    kind = avro["type"]
    if kind == "array":
        return f"array of {_type_label(avro['items'])}"
    if kind == "map":
        return f"map of {_type_label(avro['values'])}"
    if kind == "record":
        return f"[{avro['name']}](#{avro['name'].lower()})"
    return str(kind)


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
