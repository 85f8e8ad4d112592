"""`crm rebuild` and `crm checksum`: the read tables rebuilt from the log are identical."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from domain.kernel.messages import utc
from processors.core import CoreProcessor
from producers.kafka import MessageProducer
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
    projector = Projector(engine, fresh_kafka)
    projector.catch_up(timeout=60)
    projector.close()
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


def test_topics_are_split_into_groups_of_about_equal_records() -> None:
    from projectors.replay_split import split

    records = {"crm.leads": 50, "crm.cases": 20, "crm.quotes": 18, "crm.contacts": 10,
               "crm.rejections": 0}
    assert split(records) == [["crm.leads"],
                              ["crm.cases", "crm.contacts", "crm.quotes", "crm.rejections"]]
    assert split({"crm.leads": 5}) == [["crm.leads"]]
