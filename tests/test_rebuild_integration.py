"""`crm rebuild` and `crm checksum`: the read tables rebuilt from the log are identical;
so are those of the backfill's projector follower (backfill/projecting.py), which folds a
fresh log (in parts when it holds too many rows) and projects in batches when the tables
already hold rows."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import backfill.projecting
from crm.bootstrap import Services
from crm.config import load_settings
from domain.kernel.messages import utc
from events.topics import PROJECTOR_GROUP
from localstack import StackInfo
from processors.core import CoreProcessor
from producers.kafka import MessageProducer
from projectors.commit import stored_offsets
from projectors.db import make_engine, migrate, table_digest
from projectors.rebuild import rebuild
from projectors.runner import Projector
from simulators.leads import lead_captures

pytestmark = pytest.mark.integration


def publish_derived_events(bootstrap: str, count: int) -> None:
    core = CoreProcessor()
    with MessageProducer(bootstrap) as producer:
        for command in lead_captures(seed=3, start=utc(2026, 2, 1), count=count):
            for event in core.process(command):
                producer.send(event)


def project_live(engine: sa.Engine, bootstrap: str) -> None:
    """Project the log as the live projector does, to its current ends."""
    live = Projector(engine, bootstrap)
    live.catch_up(timeout=120)
    live.close()


def test_rebuild_from_the_log_gives_the_same_checksum_and_keeps_projecting(
    fresh_kafka: str, fresh_db_url: str
) -> None:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    publish_derived_events(fresh_kafka, 120)
    live = Projector(engine, fresh_kafka)
    live.catch_up(timeout=120)
    before = table_digest(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 120

    replayed = rebuild(fresh_db_url, fresh_kafka)

    assert replayed == 240  # LeadCaptured + LeadScored per lead
    assert table_digest(engine) == before
    with engine.connect() as conn:
        schemas = set(conn.execute(sa.text(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'crm_re%'")).scalars())
    assert schemas == set(), "the build and retired schemas are dropped after the swap"

    # The live projector carries on into the swapped-in tables.
    publish_derived_events(fresh_kafka, 130)  # 10 new leads after the first 120
    live.catch_up(timeout=120)
    live.close()
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 130


def test_checksum_changes_when_a_row_changes(fresh_kafka: str, fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    publish_derived_events(fresh_kafka, 5)
    project_live(engine, fresh_kafka)
    before = table_digest(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE leads SET lead_score = lead_score + 1 WHERE lead_id = "
                             "(SELECT min(lead_id) FROM leads)"))
    assert table_digest(engine) != before


def test_rebuild_also_rebuilds_the_forecast_snapshot_extension_table(
    fresh_kafka: str, fresh_db_url: str
) -> None:
    """crm_forecasting.sales_forecast_snapshots (docs/read-model-extensions.md) is built in
    crm_rebuild beside the 25 and swapped in with them; the checksum covers it."""
    from datetime import date
    from decimal import Decimal

    from scenario import Scenario

    from domain.rules_config import BusinessRules

    rules = BusinessRules.from_mapping(
        {"fiscal": {"monthly_call_offset_days": 14, "forecast_warmup_days": 0}})
    s = Scenario(rules=rules).org()
    s.deal("O1", "100000", close=date(2026, 3, 20))
    s.stage("O1", "negotiation")
    for day in (9, 16, 23):
        s.tick(utc(2026, 3, day))
    s.stage("O1", "closed_won")
    s.tick(utc(2026, 4, 1))
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    with MessageProducer(fresh_kafka) as producer:
        for event in s.events:
            producer.send(event)
    live = Projector(engine, fresh_kafka)
    live.catch_up(timeout=120)
    live.close()
    count = "SELECT count(*) FROM crm_forecasting.sales_forecast_snapshots"
    with engine.connect() as conn:
        snapshots = conn.execute(sa.text(count)).scalar_one()
        called = conn.execute(sa.text(
            "SELECT forecast_accuracy_pct FROM sales_forecasts WHERE sales_rep_id = 'R1' "
            "AND forecast_period = 'monthly'")).scalar_one()
    # 3 weeks x 2 periods + the close; called 80000 (100000 x 80 %), won 100000
    assert (snapshots, called) == (7, Decimal("75.00"))
    before = table_digest(engine)

    rebuild(fresh_db_url, fresh_kafka)

    assert table_digest(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.text(count)).scalar_one() == snapshots


def test_folds_that_would_share_a_table_both_roll_back_and_the_batches_replay_the_log(
    fresh_kafka: str, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Both folds given the same topics write the same tables (and keys): at most one of
    them commits (the other waits on its keys until its lock wait ends, or the guard
    refuses both), and the live projector's batches replay the rest to the same tables."""
    from projectors import replay_split

    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    publish_derived_events(fresh_kafka, 30)
    live = Projector(engine, fresh_kafka)
    live.catch_up(timeout=120)
    live.close()
    before = table_digest(engine)
    monkeypatch.setattr(replay_split, "SPLIT_FROM", 0)
    monkeypatch.setattr(replay_split, "split", lambda records: [sorted(records)] * 2)

    with caplog.at_level("WARNING"):
        replayed = rebuild(fresh_db_url, fresh_kafka)

    assert replayed == 60
    assert table_digest(engine) == before
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "did not commit" in said


def services_on(database_url: str, bootstrap: str) -> Services:
    """Services on this test's database and broker (no stack of their own)."""
    return Services(load_settings(), StackInfo(database_url, bootstrap, False, False, None, None))


def leads(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one()


@pytest.mark.parametrize(("chunk", "part_rows", "parts"), [
    (40, 30, 4),  # a part ends after each chunk
    (10, 60, 3)])  # parts of ~12 chunks: a chunk's stored rows read ahead of a COPY
def test_a_fold_in_parts_commits_each_part_and_ends_with_a_rebuild_s_tables(
        fresh_kafka: str, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch, chunk: int,
        part_rows: int, parts: int) -> None:
    migrate(fresh_db_url)
    publish_derived_events(fresh_kafka, 150)  # 300 events
    monkeypatch.setattr(backfill.projecting, "CHUNK", chunk)
    monkeypatch.setenv("CRM_FOLD_PART_ROWS", str(part_rows))
    services = services_on(fresh_db_url, fresh_kafka)

    done = backfill.projecting.project(services, lambda: True, lambda n: None)

    assert (done.mode, done.events) == ("fold", 300)
    assert done.batches >= parts, "each part is a transaction of its own"
    folded = table_digest(services.engine)
    assert leads(services.engine) == 150
    assert sum(stored_offsets(services.engine, PROJECTOR_GROUP).values()) == 300
    rebuild(fresh_db_url, fresh_kafka)  # one transaction from empty tables
    assert table_digest(services.engine) == folded


def test_the_fold_falls_back_to_batches_when_the_tables_already_hold_rows(
        fresh_kafka: str, fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    publish_derived_events(fresh_kafka, 20)
    project_live(engine, fresh_kafka)
    # the first 20 again (a new core emits their events again: not newer, skipped) and
    # 30 more (lead numbers follow the simulation's count, so not another seed's)
    publish_derived_events(fresh_kafka, 50)
    services = services_on(fresh_db_url, fresh_kafka)

    done = backfill.projecting.project(services, lambda: True, lambda n: None)

    assert done.mode == "batches"
    assert done.reason == "the read tables already hold projected rows"
    assert leads(engine) == 50
    projected = table_digest(engine)
    rebuild(fresh_db_url, fresh_kafka)
    assert table_digest(engine) == projected


def test_topics_are_split_into_groups_of_about_equal_records() -> None:
    from projectors.replay_split import split

    records = {"crm.leads": 50, "crm.cases": 20, "crm.quotes": 18, "crm.contacts": 10,
               "crm.rejections": 0}
    assert split(records) == [["crm.leads"],
                              ["crm.cases", "crm.contacts", "crm.quotes", "crm.rejections"]]
    assert split({"crm.leads": 5}) == [["crm.leads"]]
