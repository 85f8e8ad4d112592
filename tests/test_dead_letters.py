"""Bad input: every way bytes can fail to be a message gets a clear reason, and on Kafka
the broken messages land on the dead-letter topic while the good ones are projected."""

from __future__ import annotations

import copy
import io
import struct
import uuid
from decimal import Decimal
from typing import Any

import fastavro
import pytest
import sqlalchemy as sa
from support import wait_until

from domain.kernel.messages import utc
from domain.leads.messages import LeadCaptured
from events.admin import ensure_topics
from events.avro import schema_for
from events.codec import AvroCodec, BuiltinSchemaIds, DecodeError
from events.dlq import DeadLetter
from events.topics import DEAD_LETTER
from operations.dead_letters import list_dead_letters
from producers.dead_letters import DeadLetterPublisher
from producers.kafka import MessageProducer
from projectors.db import make_engine, migrate
from projectors.runner import Projector

IDS = BuiltinSchemaIds()
CODEC = AvroCodec(IDS)
CURRENT = schema_for(LeadCaptured)


def lead(lead_id: str = "L1", **overrides: Any) -> LeadCaptured:
    values: dict[str, Any] = dict(
        event_id=f"evt-{lead_id}", aggregate_id=lead_id, aggregate_version=1,
        occurred_at=utc(2026, 3, 1, 9), company_name="Tata Steel", lead_source="website",
        lead_number=f"LEAD-{lead_id}", estimated_deal_value=Decimal("125000.50"))
    return LeadCaptured(**{**values, **overrides})


def written_with(schema: dict[str, Any], record: dict[str, Any],
                 schema_id: int | None = None) -> bytes:
    """Wire bytes of `record` under `schema` (registered), optionally claiming another id."""
    registered = IDS.register(schema)
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), record)
    return struct.pack(">bI", 0, registered if schema_id is None else schema_id) + \
        buf.getvalue()


def without_field(name: str) -> dict[str, Any]:
    schema = copy.deepcopy(CURRENT)
    schema["fields"] = [f for f in schema["fields"] if f["name"] != name]
    return schema


def wider_decimal() -> dict[str, Any]:
    schema = copy.deepcopy(CURRENT)
    for f in schema["fields"]:
        if f["name"] == "estimated_deal_value":
            f["type"] = ["null", {"type": "bytes", "logicalType": "decimal",
                                  "precision": 30, "scale": 2}]
    return schema


def beyond_precision() -> bytes:
    """Bytes under the *current* schema id whose decimal has 18 integer digits (max 13)."""
    record = {**lead().model_dump(), "estimated_deal_value": Decimal("123456789012345678.00")}
    return written_with(wider_decimal(), record, schema_id=IDS.register(CURRENT))


MYSTERY = {"type": "record", "name": "MysteryHappened", "namespace": "genims.crm",
           "fields": [{"name": "x", "type": "string"}]}

BROKEN: dict[str, tuple[bytes, str]] = {
    "unknown schema id": (b"\x00\x12\x34\x56\x78" + b"\x02hi", "unknown schema id 305419896"),
    "garbage": (b"this is not avro at all", "unknown magic byte 116"),
    "too short": (b"\x00\x01", "shorter than the 5-byte wire-format header"),
    "truncated avro": (CODEC.encode(lead())[:-12], "not valid Avro (truncated or corrupt)"),
    "trailing bytes": (CODEC.encode(lead()) + b"\x00\x00", "2 unexpected trailing bytes"),
    "missing required field": (
        written_with(without_field("company_name"),
                     {k: v for k, v in lead().model_dump().items() if k != "company_name"}),
        "No default value for field company_name"),
    "decimal beyond precision": (beyond_precision(), "exceeds DECIMAL(15,2)"),
    "value outside the contract": (
        written_with(CURRENT, {**lead().model_dump(), "lead_source": "carrier pigeon"}),
        "LeadCaptured breaks its contract: lead_source"),
    "unknown event type": (written_with(MYSTERY, {"x": "?"}),
                           "unknown event type 'MysteryHappened'"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_bytes_raise_a_decode_error_with_a_clear_reason(case: str) -> None:
    data, reason = BROKEN[case]
    with pytest.raises(DecodeError) as caught:
        CODEC.decode(data)
    assert reason in caught.value.reason


def test_a_missing_required_field_names_the_record_and_the_field() -> None:
    data, _ = BROKEN["missing required field"]
    with pytest.raises(DecodeError, match="LeadCaptured .* cannot read"):
        CODEC.decode(data)


def test_a_good_message_still_decodes_next_to_the_broken_ones() -> None:
    assert CODEC.decode(CODEC.encode(lead())) == lead()


def test_dead_letter_headers_round_trip() -> None:
    letter = DeadLetter(b"\x00raw", "why: ünïcode", "crm.leads", 2, 41, b"L1")
    headers = list(letter.headers().items())
    assert DeadLetter.from_headers(letter.original, letter.key, headers) == letter


@pytest.mark.integration
def test_broken_messages_land_on_the_dead_letter_topic_while_good_ones_are_projected(
        kafka_bootstrap: str, fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    ensure_topics(kafka_bootstrap)
    run = uuid.uuid4().hex[:8]
    good = [lead(f"DLQ-{run}-{n}", company_name=f"Good {n} O'Brien") for n in range(6)]
    broken = {case: data + run.encode() if case == "garbage" else data
              for case, (data, _) in BROKEN.items()}
    with MessageProducer(kafka_bootstrap) as producer:
        for n, message in enumerate(good):
            producer.send(message)
            case = sorted(broken)[n % len(broken)]
            producer.send_raw("crm.leads", f"DLQ-{run}-{n}", broken[case])
        for case in sorted(broken)[len(good):]:
            producer.send_raw("crm.leads", f"DLQ-{run}-x", broken[case])

    engine = make_engine(fresh_db_url)
    # CODEC's schema ids also know the writer schemas registered above (as a registry would)
    projector = Projector(engine, kafka_bootstrap, group=f"dlq-test-{run}", topics=["crm.leads"],
                          codec=CODEC)
    ids = [m.aggregate_id for m in good]

    def projected() -> list[tuple[str, str]]:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(
                "SELECT lead_id, company_name FROM leads WHERE lead_id = ANY(:ids) "
                "ORDER BY lead_id"), {"ids": ids}))

    ours = set(broken.values())
    try:
        assert wait_until(lambda: projector.poll_once(1.0) >= 0 and len(projected()) == 6
                          and ours <= {d.original for d in projector.stats.dead_letters},
                          timeout=90)
    finally:
        projector.close()
    assert projected() == [(m.aggregate_id, m.company_name) for m in good]

    letters = [e.letter for e in list_dead_letters(kafka_bootstrap, limit=None)]
    letters = [d for d in letters
               if d.original in ours and d.key is not None and d.key.startswith(
                   f"DLQ-{run}".encode())]
    by_bytes = {d.original: d for d in letters}
    assert set(by_bytes) == ours, "every broken message is on the dead-letter topic"
    for case, (_, reason) in BROKEN.items():
        letter = by_bytes[broken[case]]
        assert letter.source_topic == "crm.leads" and letter.source_offset >= 0
        assert reason in letter.reason


@pytest.mark.integration
def test_the_publisher_flushes_and_list_dead_letters_returns_the_newest(
        kafka_bootstrap: str) -> None:
    ensure_topics(kafka_bootstrap)
    marker = uuid.uuid4().hex.encode()
    letters = [DeadLetter(marker + bytes([n]), f"reason {n}", "crm.test", 0, n, marker)
               for n in range(3)]
    with DeadLetterPublisher(kafka_bootstrap) as publisher:
        assert publisher.publish_all(letters) == 3
    assert publisher.delivered == 3
    newest = [e.letter for e in list_dead_letters(kafka_bootstrap, limit=3)]
    assert newest == letters
    assert list_dead_letters(kafka_bootstrap, limit=1000, topic=f"{DEAD_LETTER}-none") == []
