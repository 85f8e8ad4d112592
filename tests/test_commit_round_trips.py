"""A live batch's round trips to PostgreSQL: the projection lock, the search_path and the
staging check share one, the offsets ride with the apply (projectors/commit.py)."""

from __future__ import annotations

from typing import Any

import psycopg2.extensions
import pytest
import sqlalchemy as sa
from scenario import Scenario

from domain.leads.messages import CaptureLead
from projectors.commit import commit_batch, retrying
from projectors.db import make_engine
from projectors.offsets import load_offsets

pytestmark = pytest.mark.integration


class CountingCursor(psycopg2.extensions.cursor):
    """A cursor that counts what it sends (each execute or COPY is one round trip)."""

    sent: list[str] = []

    def execute(self, query: Any, vars: Any = None) -> None:  # noqa: A002 (psycopg2's name)
        CountingCursor.sent.append(str(query)[:60])
        super().execute(query, vars)

    def copy_expert(self, sql: Any, file: Any, size: int = 8192) -> None:
        CountingCursor.sent.append(str(sql)[:60])
        super().copy_expert(sql, file, size)


def test_a_live_batch_of_one_lead_takes_five_round_trips_and_lands_rows_and_offsets(
        engine: sa.Engine) -> None:
    sa.event.listen(engine, "connect",
                    lambda dbapi, _: setattr(dbapi, "cursor_factory", CountingCursor))
    engine.dispose()  # new connections from here on count
    scenario = Scenario()
    fields = {"lead_source": "website", "industry": "Energy", "company_size": "medium"}
    first = scenario.ok(CaptureLead, "L1", company_name="Firm 1", **fields)
    second = scenario.ok(CaptureLead, "L2", company_name="Firm 2", **fields)
    commit_batch(engine, "g", first, {("crm.leads", 0): 2}, take_lock=True)  # staging made
    CountingCursor.sent.clear()
    commit_batch(engine, "g", second, {("crm.leads", 0): 4}, take_lock=True)
    sent = [s for s in CountingCursor.sent if s != "SELECT 1"]  # the pool's pre-ping
    # lock + search_path + staging check; the history read of leads; COPY leads; COPY
    # field_history; apply + offsets (it was nine before: each of those on its own)
    assert len(sent) == 5, sent
    assert sent[0].startswith("SELECT pg_advisory_xact_lock_shared")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 2
        assert conn.execute(sa.text(
            "SELECT count(*) FROM crm_history.field_history")).scalar_one() > 0
    raw = engine.raw_connection()
    try:
        assert load_offsets(raw.driver_connection, "g") == {("crm.leads", 0): 4}
    finally:
        raw.close()


def _two_leads() -> tuple[list[Any], list[Any]]:
    scenario = Scenario()
    fields = {"lead_source": "website", "industry": "Energy", "company_size": "medium"}
    return (scenario.ok(CaptureLead, "L1", company_name="Firm 1", **fields),
            scenario.ok(CaptureLead, "L2", company_name="Firm 2", **fields))


def test_the_projectors_engine_sends_no_pre_ping_before_a_batch(fresh_db_url: str,
                                                                 engine: sa.Engine) -> None:
    projector_engine = make_engine(fresh_db_url, pre_ping=False)
    sa.event.listen(projector_engine, "connect",
                    lambda dbapi, _: setattr(dbapi, "cursor_factory", CountingCursor))
    try:
        first, second = _two_leads()
        commit_batch(projector_engine, "g", first, {("crm.leads", 0): 2}, take_lock=True)
        CountingCursor.sent.clear()
        commit_batch(projector_engine, "g", second, {("crm.leads", 0): 4}, take_lock=True)
        assert len(CountingCursor.sent) == 5, CountingCursor.sent  # no "SELECT 1" among them
    finally:
        projector_engine.dispose()


def test_a_batch_on_a_connection_the_server_dropped_is_retried_on_a_new_one(
        fresh_db_url: str, engine: sa.Engine, caplog: pytest.LogCaptureFixture) -> None:
    """Without the pool's pre-ping a dropped connection is found by the batch itself:
    its transaction fails, the connection is invalidated, the batch retried and landed."""
    projector_engine = make_engine(fresh_db_url, pre_ping=False)
    try:
        first, second = _two_leads()
        commit_batch(projector_engine, "g", first, {("crm.leads", 0): 2}, take_lock=True)
        raw = projector_engine.raw_connection()  # the pooled connection the next batch gets
        pid = raw.driver_connection.get_backend_pid()
        raw.close()
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
        rows = retrying(lambda: commit_batch(projector_engine, "g", second,
                                             {("crm.leads", 0): 4}, take_lock=True),
                        "the batch", 30, lambda: False, lambda: None)
        assert rows > 0
        assert any("waiting for PostgreSQL" in r.getMessage() for r in caplog.records)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one() == 2
        raw = engine.raw_connection()
        try:
            assert load_offsets(raw.driver_connection, "g") == {("crm.leads", 0): 4}
        finally:
            raw.close()
    finally:
        projector_engine.dispose()
