"""Events from a foreign producer that the read model refuses (issue 17 point 2).

A record produced straight onto an event topic, not through our core, can be valid Avro
of a known event and still carry a value PostgreSQL will not store. The projector used
to stop on that batch for good; now the refused event is set aside on the dead-letter
topic with the reason and its original bytes, the rest of the batch and everything after
it is projected, and `crm dlq redrive` replays it once a fix is deployed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa
from faults_support import (
    CrmProcess,
    Record,
    crm_env,
    digest_of,
    own_kafka_fixture,  # noqa: F401  (the own_kafka fixture)
    project_records,
    scratch_database,
)
from sqlalchemy import BigInteger
from support import temp_home

from domain.kernel.messages import Event, utc
from domain.leads.messages import LeadAssigned, LeadCaptured
from events.codec import AvroCodec
from events.topics import DEAD_LETTER
from localstack import StackInfo
from operations.dead_letters import DlqEntry, list_dead_letters, redrive
from producers.kafka import MessageProducer
from projectors import copy_text, fold, write_sql
from projectors.db import make_engine, migrate, table_digest
from projectors.refusals import apply_setting_aside, read_model_check, refused_by_the_read_model
from projectors.runner import Projector
from projectors.tables import PROJECTED_TABLES

CODEC = AvroCodec()
LEADS = "crm.leads"


def captured(n: int, **fields: object) -> LeadCaptured:
    return LeadCaptured(**{**dict(
        event_id=f"fv-{n}", aggregate_id=f"FV-{n}", aggregate_version=1,
        occurred_at=utc(2026, 4, 3, 9, n % 60), company_name=f"Foreign {n}", lead_source="website",
        lead_number=f"LEAD-FV-{n}"), **fields})


def assigned(n: int) -> LeadAssigned:
    return LeadAssigned(event_id=f"fv-assign-{n}", aggregate_id=f"FV-{n}",
                        aggregate_version=2, occurred_at=utc(2026, 4, 3, 10, n % 60),
                        assigned_to="REP-7", assignment_reason="by hand")


# Valid Avro of a known event, each with a value the read model cannot hold.
REFUSED = {
    "FV-90": (captured(90, number_of_employees=3_000_000_000), "NumericValueOutOfRange",
              "out of range for type integer"),
    "FV-91": (captured(91, company_name="Nul\x00Ltd"), "CharacterNotInRepertoire", "0x00"),
    "FV-92": (captured(92, lead_number="LEAD-FV-8"), "UniqueViolation",
              "leads_lead_number_key"),
}
# Each sent after lead n; FV-92 after FV-8, whose number it takes: both keys fall in
# partition 1, so FV-8 is always first (across partitions the order is not defined).
AFTER = {2: "FV-90", 4: "FV-91", 8: "FV-92"}


@pytest.fixture
def read_model(fresh_db_url: str) -> Iterator[sa.Engine]:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    yield engine
    engine.dispose()


def leads(engine: sa.Engine) -> dict[str, tuple[str, int | None, str | None, int]]:
    with engine.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(sa.text(
            "SELECT lead_id, company_name, number_of_employees, assigned_to, "
            "aggregate_version FROM leads ORDER BY lead_id"))}


def catch_up(engine: sa.Engine, bootstrap: str, batch_size: int = 4) -> Projector:
    projector = Projector(engine, bootstrap, batch_size=batch_size)
    projector.catch_up(timeout=90)
    projector.close()
    return projector


def _clear_writer_caches() -> None:
    for cached in (write_sql.column_types, copy_text.formats, write_sql.column_positions,
                   write_sql.stage_name, write_sql.required_columns, fold.row_formats):
        cached.cache_clear()


@pytest.fixture
def model_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """`monkeypatch` for the model, with the writer's caches dropped after the test."""
    yield monkeypatch
    _clear_writer_caches()  # before monkeypatch restores the column: refilled lazily


def widen_employees(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fix, as a deployment would bring it: a migration makes the column `bigint`
    and the model says so (the writer's cached column types are dropped)."""
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE leads ALTER COLUMN number_of_employees TYPE bigint"))
    monkeypatch.setattr(PROJECTED_TABLES["leads"].c.number_of_employees, "type", BigInteger())
    _clear_writer_caches()


@pytest.mark.faults
@pytest.mark.integration
def test_events_the_read_model_refuses_are_set_aside_and_projection_goes_on(
        stack: StackInfo, own_kafka: str, fresh_db_url: str, read_model: sa.Engine,
        model_restored: pytest.MonkeyPatch) -> None:
    sent: dict[str, bytes] = {}
    with MessageProducer(own_kafka) as producer:
        for n in range(1, 9):  # good and refused interleaved
            producer.send(captured(n))
            if n in AFTER:
                bad = REFUSED[AFTER[n]][0]
                sent[bad.aggregate_id] = CODEC.encode(bad)
                producer.send(bad)
        producer.send(assigned(90))  # a later event of a refused lead: projected, no row
        producer.send(assigned(3))
    projector = catch_up(read_model, own_kafka, batch_size=1000)  # one batch, or a few
    with scratch_database(stack.database_url, "fv") as url:  # a clean run of the good ones
        engine = make_engine(url)
        project_records(engine, [Record(LEADS, e.aggregate_id, CODEC.encode(e)) for e in
                                 [*map(captured, range(1, 9)), assigned(90), assigned(3)]])
        engine.dispose()
        assert table_digest(read_model) == digest_of(url), "the 25 tables as a clean run"
    rows = leads(read_model)
    assert sorted(rows) == [f"FV-{n}" for n in range(1, 9)], "every good lead, no refused one"
    assert rows["FV-3"] == ("Foreign 3", None, "REP-7", 2)
    assert projector.stats.events == 8 + 2, "events applied; the refused are not counted"
    assert rows["FV-8"][3] == 1 and len(projector.stats.dead_letters) == 3

    letters = {e.letter.key.decode(): e for e in list_dead_letters(own_kafka)
               if e.letter.key is not None}
    assert sorted(letters) == ["FV-90", "FV-91", "FV-92"]
    for key, (_, error_type, words) in REFUSED.items():
        letter = letters[key].letter
        assert letter.original == sent[key], "the original bytes, unchanged"
        assert letter.source_topic == LEADS and letter.source_offset >= 0
        assert letter.reason.startswith(f"the read model refused LeadCaptured of lead {key} v1 "
                                        f"({error_type}): ")
        assert words in letter.reason

    # before the fix `crm dlq redrive` (which checks on the database) sends nothing
    report = redrive(own_kafka, check=read_model_check(read_model))
    assert report.redriven == []
    assert sorted(_key(e) for e, _ in report.still_broken) == ["FV-90", "FV-91", "FV-92"]
    assert all(reason.startswith("the read model refused LeadCaptured")
               for _, reason in report.still_broken)
    with temp_home() as home:  # the CLI checks on the database too
        cli = CrmProcess(["dlq", "redrive"], crm_env(home, own_kafka, fresh_db_url),
                         home / "cli.log")
        assert cli.wait(120) == 0, cli.output()
        said = " ".join(cli.output().split())
        assert "re-drove 0; still broken 3" in said and "the read model refused" in said
    # forced, it is refused again: one more dead letter, nothing else changes
    redrive(own_kafka, refs=[letters["FV-91"].ref], force=True)
    catch_up(read_model, own_kafka)
    assert len(list_dead_letters(own_kafka)) == 4 and leads(read_model) == rows

    # the fix: a wider column; now the re-drive sends FV-90's original bytes, and they land
    widen_employees(read_model, model_restored)
    report = redrive(own_kafka, check=read_model_check(read_model))
    assert [e.ref for e in report.redriven] == [letters["FV-90"].ref]
    assert sorted(_key(e) for e, _ in report.still_broken) == ["FV-91", "FV-91", "FV-92"]
    again = catch_up(read_model, own_kafka)
    assert again.stats.events == 1 and again.stats.dead_letters == []
    assert leads(read_model)["FV-90"] == ("Foreign 90", 3_000_000_000, None, 1)
    assert len(list_dead_letters(own_kafka, topic=DEAD_LETTER)) == 4


def _key(entry: DlqEntry) -> str:
    return (entry.letter.key or b"").decode()


class _Savepoints:
    """A connection stand-in that records the savepoint statements it is given."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def cursor(self) -> _Savepoints:
        return self

    def __enter__(self) -> _Savepoints:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, statement: str) -> None:
        self.statements.append(statement)


def test_every_refused_event_and_only_those_are_left_out_in_order() -> None:
    import psycopg2

    events: list[Event] = [captured(n) for n in range(1, 40)]
    bad = {"FV-7", "FV-8", "FV-31"}
    applied: list[str] = []

    def apply(part: Sequence[Event]) -> int:
        if bad & {e.aggregate_id for e in part}:
            raise psycopg2.errors.NumericValueOutOfRange("out of range")
        applied.extend(e.aggregate_id for e in part)
        return len(part)

    conn = _Savepoints()
    rows, refused = apply_setting_aside(conn, events, apply)
    assert [i for i, _ in refused] == [6, 7, 30]
    assert all(isinstance(exc, psycopg2.DataError) for _, exc in refused)
    assert applied == [f"FV-{n}" for n in range(1, 40) if f"FV-{n}" not in bad], "in order"
    assert rows == 36
    assert conn.statements.count("SAVEPOINT crm_refusal") == \
        conn.statements.count("RELEASE SAVEPOINT crm_refusal")
    assert conn.statements.count("SAVEPOINT crm_refusal") < 40, "halving, not one by one"


def test_an_error_that_is_not_a_refusal_sets_nothing_aside() -> None:
    import psycopg2

    def apply(part: Sequence[Event]) -> int:
        raise psycopg2.errors.UndefinedColumn("a bug in our SQL")

    with pytest.raises(psycopg2.ProgrammingError):
        apply_setting_aside(_Savepoints(), [captured(1), captured(2)], apply)
    assert refused_by_the_read_model(psycopg2.IntegrityError())
    assert not refused_by_the_read_model(psycopg2.OperationalError())
