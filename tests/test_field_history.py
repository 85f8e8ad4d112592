"""Field history (issue 19): crm_history.field_history rows for real events, on PostgreSQL."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from support import project
from test_projection_deals_and_quotes import deal_events, lifecycle
from typer.testing import CliRunner

from crm import bootstrap
from crm.cli import app
from domain.kernel.messages import Event
from producers.kafka import MessageProducer
from projectors.db import (
    ANALYST_ROLE,
    ensure_roles,
    make_engine,
    migrate,
    table_digest,
    table_digests,
)
from projectors.rebuild import rebuild
from projectors.runner import Projector

pytestmark = pytest.mark.integration


def changes(engine: sa.Engine, where: str = "TRUE", **params: Any) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(sa.text(
            f"SELECT * FROM crm_history.field_history WHERE {where} "
            "ORDER BY changed_at, aggregate_version, table_name, record_id, column_name"),
            params)]


def of_type(events: list[Event], name: str) -> list[Event]:
    return [e for e in events if e.event_type == name]


def test_each_amount_change_of_a_deal_is_a_row_with_its_event_command_and_actor(
        engine: sa.Engine) -> None:
    s, _ = lifecycle()
    events = deal_events(s)
    project(engine, events)
    amount = changes(engine, "table_name = 'opportunities' AND record_id = 'O1' "
                     "AND column_name = 'amount'")
    added = [e for e in of_type(events, "OpportunityProductAdded") if e.aggregate_id == "O1"]
    (synced,) = [e for e in of_type(events, "OpportunityTermsChanged")
                 if e.aggregate_id == "O1" and e.amount == 76000]  # type: ignore[attr-defined]
    assert [(r["old_value"], r["new_value"], r["event_id"], r["event_type"], r["command_id"],
             r["actor"]) for r in amount] == [
        ("1.00", "60000.00", added[0].event_id, "OpportunityProductAdded",
         added[0].causation_id, None),
        ("60000.00", "65000.00", added[1].event_id, "OpportunityProductAdded",
         added[1].causation_id, None),
        ("65000.00", "76000.00", synced.event_id, "OpportunityTermsChanged",
         synced.causation_id, "R1")]  # the preparer of the revised quote changed it
    assert [r["changed_at"] for r in amount] == [
        e.occurred_at.replace(tzinfo=None) for e in (*added, synced)]


def test_the_actor_is_the_envelopes_and_the_payloads_only_for_events_written_without_one(
        engine: sa.Engine) -> None:
    s, _ = lifecycle()
    stamped = [e.model_copy(update={"actor": "asha.rao"})
               if e.event_type == "OpportunityProductAdded" else e for e in deal_events(s)]
    project(engine, stamped)
    amount = changes(engine, "table_name = 'opportunities' AND record_id = 'O1' "
                     "AND column_name = 'amount'")
    # the product lines' submitter (their payload names no one); the revised quote's terms
    # change has no envelope actor (as events written before it existed): its changed_by
    assert [(r["event_type"], r["actor"]) for r in amount] == [
        ("OpportunityProductAdded", "asha.rao"), ("OpportunityProductAdded", "asha.rao"),
        ("OpportunityTermsChanged", "R1")]


def test_a_new_row_is_one_created_row_and_a_deleted_row_keeps_its_values(
        engine: sa.Engine) -> None:
    s, _ = lifecycle()
    project(engine, deal_events(s))
    opened = changes(engine, "record_id = 'O1' AND column_name = '(created)'")
    assert [(r["event_type"], r["old_value"], r["new_value"]) for r in opened] == [
        ("OpportunityCreated", None, None)]
    (gone,) = changes(engine, "aggregate_id = 'O1' AND column_name = '(deleted)'")
    assert (gone["table_name"], gone["event_type"], gone["new_value"]) == (
        "opportunity_products", "OpportunityProductsSynced", None)
    line = json.loads(gone["old_value"])
    assert (line["line_number"], line["line_total"], line["quantity"]) == (
        "2", "5000.00", "5.0000")


def test_only_real_changes_are_rows_and_defaults_count_as_old_values(
        engine: sa.Engine) -> None:
    s, _ = lifecycle()
    project(engine, deal_events(s))
    rows = [r for r in changes(engine) if not r["column_name"].startswith("(")]
    assert rows and all(r["old_value"] != r["new_value"] for r in rows)
    won = changes(engine, "record_id = 'O1' AND event_type = 'OpportunityWon'")
    assert {r["column_name"]: (r["old_value"], r["new_value"]) for r in won}[
        "is_closed"] == ("false", "true")  # the column default, as the row held it


def test_redelivery_adds_nothing_and_batching_does_not_change_the_history(
        engine: sa.Engine) -> None:
    s, _ = lifecycle()
    events = deal_events(s)
    project(engine, events)
    before = changes(engine)
    project(engine, events)
    for event in events[::3]:
        project(engine, [event])
    assert changes(engine) == before
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE crm_history.field_history"))
        for table in {"opportunities", "opportunity_stage_history", "opportunity_products",
                      "quotations", "quotation_lines", "quotation_approvals",
                      "crm_integration_log", "sales_forecasts"}:
            conn.execute(sa.text(f'TRUNCATE "{table}"'))
        conn.execute(sa.text("TRUNCATE crm_forecasting.sales_forecast_snapshots"))
    for event in events:
        project(engine, [event])
    assert changes(engine) == before


@pytest.mark.parametrize("folds", [1, 2])
def test_a_rebuild_writes_the_same_history_and_the_checksum_covers_it(
        fresh_kafka: str, fresh_db_url: str, folds: int, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """In one process, and split by topic into two (forced on this small log: each fold
    commits its own tables and positions), the rebuild's fast path writes what the live
    projector wrote."""
    from projectors import replay_split

    if folds == 2:
        monkeypatch.setattr(replay_split, "SPLIT_FROM", 0)
    s, _ = lifecycle()
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    with MessageProducer(fresh_kafka) as producer:
        for event in s.events:
            producer.send(event)
    live = Projector(engine, fresh_kafka, batch_size=7)  # cut otherwise than the rebuild
    live.catch_up(timeout=60)
    live.close()
    before = table_digests(engine)["field_history"]
    total = table_digest(engine)
    assert len(changes(engine)) > 100

    with caplog.at_level("WARNING"):
        replayed = rebuild(fresh_db_url, fresh_kafka)

    assert replayed == len(s.events)
    assert not caplog.records, "the fast path committed: no fallback"
    assert table_digests(engine)["field_history"] == before
    assert table_digest(engine) == total
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE crm_history.field_history SET new_value = 'x' WHERE "
                             "column_name = 'amount' AND record_id = 'O1' AND old_value = "
                             "'1.00'"))
    assert table_digest(engine) != total
    engine.dispose()


def test_crm_history_shows_the_life_of_a_deal_in_order(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    s, _ = lifecycle()
    project(engine, deal_events(s))
    monkeypatch.setattr(bootstrap, "bootstrap", lambda: SimpleNamespace(engine=engine))
    as_json = CliRunner().invoke(app, ["history", "O1", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    life = json.loads(as_json.output)
    assert life[0]["event_type"] == "OpportunityCreated"
    assert life[0]["column_name"] == "(created)"
    assert [(c["old_value"], c["new_value"]) for c in life if c["column_name"] == "stage"] == [
        ("prospecting", "qualification"), ("qualification", "needs_analysis"),
        ("needs_analysis", "proposal"), ("proposal", "closed_won")]
    assert [c["changed_at"] for c in life] == sorted(c["changed_at"] for c in life)
    shown = CliRunner().invoke(app, ["history", "O1"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert f"History of O1 ({len(life)} changes)" in shown.output
    assert "stage: proposal → closed_won" in shown.output
    assert "opportunity_products" in shown.output and "deleted" in shown.output
    missing = CliRunner().invoke(app, ["history", "NOPE"])
    assert missing.exit_code == 1


def test_the_analyst_role_reads_the_field_history(engine: sa.Engine) -> None:
    s, _ = lifecycle()
    project(engine, deal_events(s))
    ensure_roles(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(f"SET LOCAL ROLE {ANALYST_ROLE}"))
        assert conn.execute(sa.text(
            "SELECT count(*) FROM crm_history.field_history")).scalar_one() > 100
