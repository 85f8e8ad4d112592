"""Bad input: poison messages go to the dead-letter topic (reason + original bytes) while
the pipeline carries on, `crm dlq` lists and re-drives them; values the read model cannot
hold are refused at the edge; free text is stored verbatim."""

from __future__ import annotations

import copy
import io
import struct
from decimal import Decimal
from typing import Any

import fastavro
import pytest
import sqlalchemy as sa
from faults_support import (
    CrmProcess,
    core_committed,
    crm_env,
    digest_of,
    read_partitions,
    wait_for,
)
from pydantic import ValidationError
from rich.console import Console
from support import temp_home

from domain.accounts.messages import OpenAccount
from domain.activities.messages import LogActivity
from domain.kernel.messages import utc
from domain.leads.messages import AssignLead, CaptureLead, LeadCaptured
from events.avro import schema_for
from events.codec import AvroCodec, BuiltinSchemaIds
from events.topics import COMMANDS, DEAD_LETTER
from operations.dead_letters import (
    REDRIVEN_FROM,
    list_dead_letters,
    print_dead_letters,
    print_redrive,
    redrive,
)
from processors.core import CoreProcessor
from producers.kafka import MessageProducer
from producers.partitioner import partition_for
from projectors.db import make_engine, migrate
from projectors.runner import Projector
from projectors.writer import apply_events
from simulators.leads import lead_captures

# markers per test, by what each needs: the server-free ones run in `make test-fast`
CODEC = AvroCodec()


def raw_avro(schema: dict[str, Any], record: dict[str, Any], ids: BuiltinSchemaIds) -> bytes:
    """Wire bytes of `record` under `schema`, which `ids` registers (a registry would)."""
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, fastavro.parse_schema(schema), record)
    return struct.pack(">bI", 0, ids.register(schema)) + buf.getvalue()


def capture(n: int, **overrides: Any) -> dict[str, Any]:
    return {**dict(event_id=f"poison-test-{n}", aggregate_id=f"PT-{n}",
                   occurred_at=utc(2026, 4, 3, 9, n), company_name=f"Good {n}",
                   lead_source="website"), **overrides}


@pytest.mark.faults
@pytest.mark.integration
def test_poison_messages_are_dead_lettered_the_pipeline_continues_and_dlq_redrives(
        any_broker: str, fresh_db_url: str) -> None:
    """On Tansu and on Apache Kafka, where the core's dead letters and rejections are
    written in its transactions (their markers take offsets on those topics)."""
    ids = BuiltinSchemaIds()
    current = schema_for(CaptureLead)
    valid = CaptureLead(**capture(0)).model_dump()
    newer = copy.deepcopy(schema_for(LeadCaptured))  # a newer producer's schema: one more
    newer["fields"].append({"name": "loyalty_tier", "type": "string", "default": "none"})
    newer_event = {**LeadCaptured(event_id="redrive-1", aggregate_id="RD-1", aggregate_version=1,
                                  occurred_at=utc(2026, 4, 3), company_name="Re'driven Ltd",
                                  lead_source="partner", lead_number="LEAD-RD-1").model_dump(),
                   "loyalty_tier": "gold"}
    poison = {  # name: (topic, bytes, reason expected in the dead letter)
        "garbage": (COMMANDS, b"not avro at all", "unknown magic byte"),
        "unknown schema id": (COMMANDS, b"\x00\x12\x34\x56\x78\x02hi", "unknown schema id"),
        "truncated avro": (COMMANDS, CODEC.encode(CaptureLead(**capture(1)))[:-9],
                           "not valid Avro"),
        "breaks the contract": (COMMANDS, raw_avro(current, {**valid,
                                "lead_source": "carrier pigeon"}, ids), "lead_source"),
        "beyond the read model": (COMMANDS, raw_avro(current, {**valid,
                                  "number_of_employees": 3_000_000_000}, ids),
                                  "outside what the read model stores"),
        "garbage event": ("crm.leads", b"\x00\x00", "shorter than the 5-byte"),
        "unknown writer schema": ("crm.leads", raw_avro(newer, newer_event, ids),
                                  "unknown schema id"),
    }
    good = [CaptureLead(**capture(n)) for n in range(2, 12)]
    breaks_a_rule = AssignLead(event_id="assign-ghost", aggregate_id="NO-SUCH-LEAD",
                               occurred_at=utc(2026, 4, 3, 10), sales_rep_id="REP-0")
    with MessageProducer(any_broker) as producer:
        names = list(poison)
        for n, command in enumerate(good):  # good and bad interleaved
            producer.send(command)
            if n < len(names):
                topic, data, _ = poison[names[n]]
                key = f"poison-{n}"
                producer.send_raw(topic, key, data, partition=partition_for(topic, key))
        producer.send(breaks_a_rule)
    inputs = len(good) + 1 + sum(t == COMMANDS for t, _, _ in poison.values())

    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    with temp_home() as home:
        worker = CrmProcess(["run", "--role", "core"], crm_env(home, any_broker, fresh_db_url),
                            home / "core.log")
        try:
            wait_for(lambda: core_committed(any_broker) >= inputs, 120, "every input", worker,
                     interval=0.2)
        finally:
            assert worker.stop() == 0, worker.output()
    projector = Projector(engine, any_broker)
    projector.catch_up(timeout=120)
    projector.close()

    # the pipeline went on: every good lead is projected, scored
    with engine.connect() as conn:
        leads = dict(conn.execute(sa.text("SELECT lead_id, company_name FROM leads "
                                          "WHERE lead_grade IS NOT NULL")).all())
    assert leads == {c.aggregate_id: c.company_name for c in good}

    # every poison message is a dead letter: original bytes, source and a clear reason
    entries = list_dead_letters(any_broker, limit=None)
    by_bytes = {e.letter.original: e for e in entries}
    for name, (topic, data, reason) in poison.items():
        assert data in by_bytes, f"{name} is not on {DEAD_LETTER}"
        letter = by_bytes[data].letter
        assert letter.source_topic == topic and letter.source_offset >= 0, name
        assert reason in letter.reason, f"{name}: {letter.reason}"
    assert len(entries) == len(poison)
    # the newest three, though markers of the core's transactions sit between them
    assert list_dead_letters(any_broker, limit=3) == entries[-3:]

    # valid Avro that breaks a rule is not a dead letter but a CommandRejected, with reason
    rejections = [CODEC.decode(v) for _, v in
                  sum(read_partitions(any_broker, [("crm.rejections", p) for p in range(3)])
                      .values(), [])]
    [rejected] = [r for r in rejections if r.command_id == breaks_a_rule.event_id]
    assert rejected.command_type == "AssignLead" and "NO-SUCH-LEAD" in rejected.reason

    # `crm dlq list`
    console = Console(file=io.StringIO(), width=250)
    print_dead_letters(console, entries)
    listing = console.file.getvalue()
    assert "unknown magic byte" in listing and "crm.commands" in listing

    # `crm dlq redrive` before the fix: nothing decodes, nothing is sent
    report = redrive(any_broker)
    assert report.redriven == [] and len(report.still_broken) == len(poison)

    # the fix: this deployment learns the newer writer schema (registry, new release)
    fixed = AvroCodec(ids)
    report = redrive(any_broker, codec=fixed)
    print_redrive(console, report)
    assert [e.letter.original for e in report.redriven] == [poison["unknown writer schema"][1]]
    assert len(report.still_broken) == len(poison) - 1
    projector = Projector(engine, any_broker, codec=fixed)
    projector.catch_up(timeout=60)
    projector.close()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT company_name FROM leads WHERE lead_id = 'RD-1'")
                            ).scalar_one() == "Re'driven Ltd"
    after_first = digest_of(fresh_db_url)

    # re-driving again is harmless (same event id and version downstream); the dead
    # letters stay on their topic
    redrive(any_broker, codec=fixed, refs=[by_bytes[poison["unknown writer schema"][1]].ref])
    projector = Projector(engine, any_broker, codec=fixed)
    projector.catch_up(timeout=60)
    projector.close()
    engine.dispose()
    assert digest_of(fresh_db_url) == after_first
    assert len(list_dead_letters(any_broker, limit=None)) == len(poison)
    leads_log = read_partitions(any_broker, [("crm.leads", partition_for("crm.leads", "poison-6"))])
    copies = [v for recs in leads_log.values() for _, v in recs
              if v == poison["unknown writer schema"][1]]
    assert len(copies) == 3, "the original and two re-drives"
    assert REDRIVEN_FROM == "dlq.redriven-from"


# -- the edge: values the read model cannot hold ---------------------------------------------

LEAD = dict(event_id="edge-1", aggregate_id="EDGE-1", occurred_at=utc(2026, 4, 1),
            company_name="Edge Ltd", lead_source="website")
REFUSED: dict[str, tuple[type, dict[str, Any], str]] = {
    "text longer than its column": (CaptureLead, {**LEAD, "company_name": "x" * 201},
                                    "at most 200 characters"),
    "amount beyond precision": (CaptureLead, {**LEAD, "estimated_deal_value":
                                              Decimal("12345678901234.50")},
                                "exceeds DECIMAL(15,2)"),
    "amount beyond scale": (CaptureLead, {**LEAD, "estimated_deal_value": Decimal("10.005")},
                            "more than 2 decimal places"),
    "date out of range": (CaptureLead, {**LEAD, "expected_close_date": "2026-02-30"},
                          "day value is outside expected range"),
    "year out of range": (CaptureLead, {**LEAD, "expected_close_date": "20260-01-01"},
                          "valid date"),
    "unknown enum value": (CaptureLead, {**LEAD, "lead_source": "carrier pigeon"},
                           "Input should be 'website'"),
    "whole number beyond integer": (CaptureLead, {**LEAD, "number_of_employees": 2**31},
                                    "outside what the read model stores"),
    "NUL in free text": (CaptureLead, {**LEAD, "description": "a\x00b"}, "NUL character"),
    "account headcount beyond integer": (
        OpenAccount, dict(event_id="edge-2", aggregate_id="ACC-E", occurred_at=utc(2026, 4, 1),
                          account_name="Edge", employee_count=10**12),
        "employee_count = 1000000000000 is outside"),
    "activity duration beyond integer": (
        LogActivity, dict(event_id="edge-3", aggregate_id="ACT-E", occurred_at=utc(2026, 4, 1),
                          activity_type="call", subject="s", related_to_type="account",
                          related_to_id="ACC-E", activity_date=utc(2026, 4, 1),
                          duration_minutes=2**40),
        "duration_minutes"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_values_the_read_model_cannot_hold_are_refused_at_the_edge(case: str) -> None:
    cls, fields, reason = REFUSED[case]
    with pytest.raises(ValidationError) as refused:
        cls(**fields)
    assert reason in str(refused.value)


def test_the_edge_holds_for_bytes_from_other_producers_too() -> None:
    """Valid Avro carrying a value beyond the read model never reaches the rules: the core
    dead-letters it with the same reason."""
    ids = BuiltinSchemaIds()
    record = {**CaptureLead(**LEAD).model_dump(), "number_of_employees": 2**40}
    out = CoreProcessor(codec=AvroCodec(ids)).process_bytes(
        raw_avro(schema_for(CaptureLead), record, ids))
    assert not isinstance(out, list)
    assert "outside what the read model stores" in out.reason


# -- free text, stored verbatim -------------------------------------------------------------

NASTY = ("O'Brien & \"Sons\"; DROP TABLE leads; -- \\ %s %(x)s $1 {0} ' OR '1'='1 "
         "Ünïcødé ☃ 漢字 עברית 🚀\t\r\n")


@pytest.mark.faults
@pytest.mark.integration
def test_free_text_with_quotes_sql_unicode_and_10000_characters_is_stored_verbatim(
        fresh_db_url: str) -> None:
    long_text = (NASTY * (10_000 // len(NASTY) + 1))[:10_000]
    command = CaptureLead(event_id="verbatim-1", aggregate_id="VERBATIM-1",
                          occurred_at=utc(2026, 4, 1), lead_source="referral",
                          company_name=NASTY[:200], contact_last_name="Ñúñez-O'Hara 🚀",
                          email="o'brien+\"x\"@example.com", description=long_text)
    core = CoreProcessor()
    out = core.process_bytes(CODEC.encode(command))  # the wire, as from Kafka
    assert isinstance(out, list)
    events = [CODEC.decode(o.value) for o in out]
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    raw = engine.raw_connection()
    try:
        apply_events(raw.driver_connection, events)
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT company_name, contact_last_name, email, description FROM leads "
            "WHERE lead_id = :id"), {"id": "VERBATIM-1"}).one()
    engine.dispose()
    assert len(long_text) == 10_000
    assert tuple(row) == (NASTY[:200], "Ñúñez-O'Hara 🚀", "o'brien+\"x\"@example.com",
                          long_text)


def test_generated_leads_are_within_the_edge() -> None:
    """The simulators produce what the edge accepts (no false refusals)."""
    for command in lead_captures(seed=1, start=utc(2026, 1, 1), count=200):
        CaptureLead.model_validate(command.model_dump())
