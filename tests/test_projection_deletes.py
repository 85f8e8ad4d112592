"""Deletes in the projection: a quote revision with fewer lines removes the deal's rows.

`merge` folds deletes and upserts of one row in order (pure, fast tests); the writer
deletes a row only when its stored version is not newer (on the embedded PostgreSQL).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from scenario import Scenario, one
from support import project

from domain.quotes.messages import OpportunityProductsSynced, QuoteLineInput, ReviseQuote
from projectors.projection import Delete, Upsert, merge, rows_for

KEY = (("opp_product_id", "P2"),)


def test_a_delete_after_an_upsert_of_the_row_leaves_only_the_delete() -> None:
    merged = merge([Upsert("opportunity_products", KEY, {"quantity": 1}, 3),
                    Delete("opportunity_products", KEY, 5)])
    assert dict(merged) == {}
    assert merged.deletes == {"opportunity_products": [Delete("opportunity_products", KEY, 5)]}


def test_an_upsert_after_a_delete_starts_the_row_afresh_and_keeps_the_delete() -> None:
    merged = merge([Upsert("opportunity_products", KEY, {"quantity": 1, "uom": "EA"}, 3),
                    Delete("opportunity_products", KEY, 5),
                    Upsert("opportunity_products", KEY, {"quantity": 2}, 7)])
    assert merged["opportunity_products"] == [
        Upsert("opportunity_products", KEY, {"quantity": 2}, 7)]
    assert merged.deletes["opportunity_products"] == [Delete("opportunity_products", KEY, 5)]


def shortened_deal() -> tuple[Scenario, OpportunityProductsSynced]:
    """A deal of two product lines whose revised quote has one: the sync removes line 2."""
    s = Scenario().org()
    s.deal("O1", "1", close=date(2026, 3, 27))
    s.product("O1", "2", "40000", "25")
    s.product("O1", "5", "1000")
    q1 = s.to_proposal("O1")
    one(s.ok(ReviseQuote, q1, lines=[QuoteLineInput(product_name="Press", quantity=Decimal(
        "2"), list_price=Decimal("40000"), discount_pct=Decimal("5"))]), OpportunityProductsSynced)
    synced = [e for e in s.events if isinstance(e, OpportunityProductsSynced)
              and e.removed_opp_product_ids]
    assert len(synced) == 1
    return s, synced[0]


def test_the_projection_of_a_shortening_sync_deletes_the_removed_line() -> None:
    _, sync = shortened_deal()
    (removed,) = sync.removed_opp_product_ids
    assert Delete("opportunity_products", (("opp_product_id", removed),),
                  sync.aggregate_version) in rows_for([sync])


def product_lines(engine: sa.Engine) -> list[tuple[str, int, Decimal]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT opp_product_id, line_number, line_total FROM opportunity_products "
            "WHERE opportunity_id = 'O1' ORDER BY line_number"))]


@pytest.mark.integration
def test_the_writer_deletes_the_removed_line_in_one_batch_and_one_by_one(
        engine: sa.Engine) -> None:
    s, sync = shortened_deal()
    events = [e for e in s.events if e.aggregate_type in {"opportunity", "quote"}]
    project(engine, events[:events.index(sync)])
    assert len(product_lines(engine)) == 2
    project(engine, events[events.index(sync):])
    assert product_lines(engine) == [
        (sync.lines[0].opp_product_id, 1, Decimal("76000.00"))]
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE opportunity_products"))
    project(engine, events)  # created and deleted in the same batch
    assert product_lines(engine) == [
        (sync.lines[0].opp_product_id, 1, Decimal("76000.00"))]


@pytest.mark.integration
def test_a_redelivered_delete_leaves_a_row_a_later_event_wrote(engine: sa.Engine) -> None:
    s, sync = shortened_deal()
    events = [e for e in s.events if e.aggregate_type in {"opportunity", "quote"}]
    project(engine, events)
    (removed,) = sync.removed_opp_product_ids
    later = sync.aggregate_version + 10
    back = sync.model_copy(update={
        "event_id": "later-sync", "aggregate_version": later,
        "lines": [*sync.lines, sync.lines[0].model_copy(update={
            "opp_product_id": removed, "line_number": 2})],
        "added_opp_product_ids": [removed], "removed_opp_product_ids": []})
    project(engine, [back])
    assert [line[0] for line in product_lines(engine)] == [
        sync.lines[0].opp_product_id, removed]
    project(engine, [sync])  # delivered again: the row is newer than the delete
    assert [line[0] for line in product_lines(engine)] == [
        sync.lines[0].opp_product_id, removed]
