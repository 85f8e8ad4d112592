"""The backfill's projector follower (backfill/projecting.py) on a real embedded PostgreSQL
and broker: it folds a fresh log (in parts when it holds too many rows) and projects in
batches when the tables already hold rows; either way the tables equal a rebuild's."""

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


def publish_leads(bootstrap: str, count: int) -> None:
    """`count` leads captured and scored (the score updates the captured row)."""
    core = CoreProcessor()
    with MessageProducer(bootstrap) as producer:
        for command in lead_captures(seed=5, start=utc(2026, 2, 1), count=count):
            for event in core.process(command):
                producer.send(event)


def services_on(database_url: str, bootstrap: str) -> Services:
    return Services(load_settings(), StackInfo(database_url, bootstrap, False, False, None, None))


def leads(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM leads")).scalar_one()


def test_a_fold_in_parts_commits_each_part_and_ends_with_a_rebuild_s_tables(
        fresh_kafka: str, fresh_db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    migrate(fresh_db_url)
    publish_leads(fresh_kafka, 150)  # 300 events
    monkeypatch.setattr(backfill.projecting, "CHUNK", 40)  # a part ends after a chunk
    monkeypatch.setenv("CRM_FOLD_PART_ROWS", "30")
    services = services_on(fresh_db_url, fresh_kafka)

    done = backfill.projecting.project(services, lambda: True, lambda n: None)

    assert (done.mode, done.events) == ("fold", 300)
    assert done.batches > 3, "each part is a transaction of its own"
    folded = table_digest(services.engine)
    assert leads(services.engine) == 150
    assert sum(stored_offsets(services.engine, PROJECTOR_GROUP).values()) == 300
    rebuild(fresh_db_url, fresh_kafka)  # one transaction from empty tables
    assert table_digest(services.engine) == folded


def test_the_fold_falls_back_to_batches_when_the_tables_already_hold_rows(
        fresh_kafka: str, fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    engine = make_engine(fresh_db_url)
    publish_leads(fresh_kafka, 20)
    live = Projector(engine, fresh_kafka)
    live.catch_up(timeout=120)
    live.close()
    # the first 20 again (a new core emits their events again: not newer, skipped) and
    # 30 more (lead numbers follow the simulation's count, so not another seed's)
    publish_leads(fresh_kafka, 50)
    services = services_on(fresh_db_url, fresh_kafka)

    done = backfill.projecting.project(services, lambda: True, lambda n: None)

    assert done.mode == "batches"
    assert done.reason == "the read tables already hold projected rows"
    assert leads(engine) == 50
    projected = table_digest(engine)
    rebuild(fresh_db_url, fresh_kafka)
    assert table_digest(engine) == projected
