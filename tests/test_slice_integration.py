"""The walking skeleton end to end on real components.

CaptureLead commands go to Kafka; the faust worker (`crm run --role core`, a real
subprocess) scores them and emits LeadCaptured/LeadScored; the projector writes `leads`
rows and its offsets in one PostgreSQL transaction.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from faults_support import core_committed
from support import temp_home, wait_until

from domain.kernel.messages import utc
from domain.leads.messages import CaptureLead
from events.admin import ensure_topics
from events.topics import COMMANDS
from kafka_client.offsets import log_ends
from producers.kafka import MessageProducer
from projectors import commit
from projectors.db import make_engine, migrate, table_digest
from projectors.rebuild import rebuild
from projectors.runner import Projector
from simulators.leads import lead_captures

pytestmark = pytest.mark.integration


@contextlib.contextmanager
def core_worker(bootstrap: str, db_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """`crm run --role core` against the test's broker, as a user would start it."""
    ensure_topics(bootstrap)
    with temp_home() as home:
        env = {**os.environ, "CRM_HOME": str(home), "CRM_KAFKA_BOOTSTRAP": bootstrap,
               "CRM_DATABASE_URL": db_url}
        log = Path(home) / "core.log"
        proc = subprocess.Popen([sys.executable, "-m", "crm.cli", "run", "--role", "core"],
                                env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def scored_rows(engine: sa.Engine, ids: list[str]) -> list[tuple]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT lead_id, lead_number, company_name, lead_score, lead_grade, created_at "
            "FROM leads WHERE lead_id = ANY(:ids) AND lead_grade IS NOT NULL ORDER BY lead_id"),
            {"ids": ids}))


def test_captured_leads_flow_through_faust_and_land_scored_in_postgres(
    stack, fresh_db_url: str
) -> None:
    with core_worker(stack.kafka_bootstrap, fresh_db_url):
        flow_through(stack.kafka_bootstrap, fresh_db_url)


def flow_through(bootstrap: str, fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    commands = list(lead_captures(seed=7, start=utc(2026, 4, 1), count=40))
    ids = [c.aggregate_id for c in commands]
    with MessageProducer(bootstrap) as producer:
        producer.send_all(commands)
    projector = Projector(engine, bootstrap, group="slice-test")
    assert wait_until(lambda: projector.poll_once(1.0) >= 0 and
                      len(scored_rows(engine, ids)) == len(ids), timeout=90)
    rows = scored_rows(engine, ids)
    by_id = {c.aggregate_id: c for c in commands}
    for lead_id, number, company, score, grade, created_at in rows:
        assert company == by_id[lead_id].company_name
        assert number.startswith("LEAD-")
        assert 0 <= score <= 100 and grade in "ABCD"
        assert created_at == by_id[lead_id].occurred_at.replace(tzinfo=None)  # event time


def capture_leads(prefix: str, minute: int) -> list[CaptureLead]:
    return [CaptureLead(event_id=f"{prefix.lower()}-{n}", aggregate_id=f"{prefix}-{n}",
                        occurred_at=utc(2026, 4, 2, 10, minute + n),
                        company_name=f"{prefix.title()} {n}", lead_source="partner")
            for n in range(5)]


def test_a_restarted_projector_resumes_from_its_stored_offsets_and_a_rebuild_gives_its_tables(
    any_broker: str, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Leads captured while the projector is down are projected after its restart, and
    nothing it had projected is read again: it resumes exactly at its stored offsets
    (a projector starting at the log end misses the late leads; one starting at the
    beginning reads the early ones again). `crm rebuild`'s code then projects the whole
    log again: the same checksum. On Apache Kafka the core is exactly once: its
    transactions' markers end the event topics' logs, and the projector still knows when
    it has read to the end (catch_up returns)."""
    with core_worker(any_broker, fresh_db_url):
        resume(any_broker, fresh_db_url, monkeypatch)
    engine = make_engine(fresh_db_url)
    before = table_digest(engine)
    assert rebuild(fresh_db_url, any_broker) == 20  # LeadCaptured + LeadScored per lead
    assert table_digest(engine) == before
    engine.dispose()


def resume(bootstrap: str, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    first = capture_leads("RES", 0)
    ids = [c.aggregate_id for c in first]
    with MessageProducer(bootstrap) as producer:
        producer.send_all(first)
    projector = Projector(engine, bootstrap, group="resume-test")
    assert wait_until(lambda: projector.poll_once(1.0) >= 0 and
                      len(scored_rows(engine, ids)) == 5, timeout=90)
    projector.close()

    # while the projector is down: more leads, their events derived and on Kafka
    late = capture_leads("LATE", 10)
    late_ids = [c.aggregate_id for c in late]
    with MessageProducer(bootstrap) as producer:
        producer.send_all(late)
    end = log_ends(bootstrap, [(COMMANDS, 0)])[(COMMANDS, 0)]
    assert wait_until(lambda: core_committed(bootstrap) >= end, timeout=90), \
        "the core worker never derived the late leads' events"
    assert not scored_rows(engine, late_ids)

    seen: list[str] = []
    real_apply = commit.apply_events

    def spy(conn, events, **sql):  # sql: the lock and offsets that ride with the batch
        events = list(events)
        seen.extend(e.aggregate_id for e in events)
        return real_apply(conn, events, **sql)

    monkeypatch.setattr(commit, "apply_events", spy)
    again = Projector(engine, bootstrap, group="resume-test")
    # the condition, not a fixed wait: joined, the late leads projected, the log's end
    assert wait_until(lambda: again.poll_once(0.5) >= 0 and
                      len(scored_rows(engine, late_ids)) == 5, timeout=90), \
        "the leads captured while the projector was down were not projected"
    again.catch_up(timeout=90)  # anything it would read again comes before the log's end
    assert again._consumer.assignment(), "the restarted projector never joined its group"
    again.close()
    engine.dispose()
    assert set(late_ids) <= set(seen)
    assert not set(seen) & set(ids), "events already projected were consumed again"
