"""A torn archive file on a real local stack (issue 17 point 1).

The archive is the only durable copy of the log in local mode. A torn tail (a process
killed mid-append) used to make `crm up` and `crm down` fail with `snappy: corrupt
input`; now both cut the tail, keep the cut bytes beside the file, say so, and go on:
with the broker up nothing is lost (it gives the cut records back), with the broker gone
the records that survived are restored at their offsets and project to the tables a
clean run of exactly those records gives.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from faults_support import (
    CrmProcess,
    Record,
    crm_env,
    digest_of,
    history,
    kill_broker,
    project_records,
    read_partitions,
    reference_digest,
    replay_digest,
    scratch_database,
    stack_settings,
)
from rich.console import Console
from support import temp_home

import localstack
from archive.log import archived_counts
from backfill.run import run_backfill
from crm.bootstrap import bootstrap
from events.topics import EVENT_TOPICS
from projectors.db import make_engine

TORN = ("crm.leads", 0)  # cut 1,000 bytes off its end
EMPTIED = ("crm.accounts", 1)  # cut inside its header: the whole file goes


def _file(home: Path, tp: tuple[str, int]) -> Path:
    return home / "archive" / tp[0] / f"{tp[1]:04d}.avro"


def _tear(home: Path) -> None:
    leads = _file(home, TORN)
    os.truncate(leads, leads.stat().st_size - 1000)
    os.truncate(_file(home, EMPTIED), 10)


def _backfilled(home: Path, db_url: str) -> dict[tuple[str, int], list[tuple[str, bytes]]]:
    """A local stack (embedded broker) with the fault history backfilled and archived."""
    h = history()
    h.copy_run_into(home)
    services = bootstrap(stack_settings(home, database_url=db_url))
    run_backfill(services, h.plan, Console(file=io.StringIO()), h.simulation)
    log = read_partitions(services.bootstrap)
    assert sum(map(len, log.values())) == len(h.records)
    assert archived_counts(home / "archive") == {tp: len(v) for tp, v in log.items()}
    return log


def _stop(home: Path, db_url: str) -> None:
    settings = stack_settings(home, database_url=db_url)
    if localstack.status(settings) is not None:
        kill_broker(settings)
    localstack.down(settings)


def _torn_copies(home: Path, tp: tuple[str, int]) -> list[Path]:
    return sorted(_file(home, tp).parent.glob(f"{tp[1]:04d}.avro.torn-*"))


@pytest.mark.faults
@pytest.mark.integration
def test_a_torn_archive_is_refilled_from_the_running_broker_and_down_up_loses_nothing(
        stack, fresh_db_url: str) -> None:
    with temp_home() as home:
        try:
            before = _backfilled(home, fresh_db_url)
            _tear(home)
            env = crm_env(home, database_url=fresh_db_url)
            down = CrmProcess(["down"], env, home / "cli.log")
            assert down.wait(120) == 0, down.output()
            said = down.output()
            assert f"{_file(home, TORN)} was torn: cut " in said
            assert f"{_file(home, EMPTIED)} was torn: cut 10 of 10 bytes" in said
            assert "archived again from the broker" in said
            assert archived_counts(home / "archive") == {tp: len(v) for tp, v in before.items()}
            assert len(_torn_copies(home, TORN)) == len(_torn_copies(home, EMPTIED)) == 1

            up = CrmProcess(["up"], env, home / "cli.log")
            assert up.wait(120) == 0, up.output()
            assert "was torn" not in up.output() and "restored" in up.output()
            info = localstack.status(stack_settings(home, database_url=fresh_db_url))
            assert info is not None
            assert read_partitions(info.kafka_bootstrap) == before, "nothing lost"
            assert replay_digest(stack.database_url, info.kafka_bootstrap) == \
                reference_digest(stack.database_url)
        finally:
            _stop(home, fresh_db_url)


@pytest.mark.faults
@pytest.mark.integration
def test_a_torn_archive_with_the_broker_gone_restores_what_survived_at_its_offsets(
        stack, fresh_db_url: str) -> None:
    with temp_home() as home:
        try:
            before = _backfilled(home, fresh_db_url)
            env = crm_env(home, database_url=fresh_db_url)
            down = CrmProcess(["down"], env, home / "cli.log")
            assert down.wait(120) == 0, down.output()
            _tear(home)  # while nothing runs: the broker's copy is gone

            up = CrmProcess(["up"], env, home / "cli.log")
            assert up.wait(120) == 0, up.output()
            said = up.output()
            assert f"{_file(home, TORN)} was torn: cut " in said
            assert "not in the restored log" in said and "crm rebuild" in said
            kept = archived_counts(home / "archive")
            assert EMPTIED not in kept and 0 < kept[TORN] < len(before[TORN])

            info = localstack.status(stack_settings(home, database_url=fresh_db_url))
            assert info is not None
            restored = read_partitions(info.kafka_bootstrap)
            survived = {tp: recs[:kept.get(tp, 0)] for tp, recs in before.items()}
            assert restored == {tp: recs for tp, recs in survived.items() if recs}, \
                "every surviving record at its partition and offset, nothing else"
            # the restored log projects to what a clean run of the survivors gives
            with scratch_database(stack.database_url, "surv") as url:
                engine = make_engine(url)
                project_records(engine, [Record(t, k, v) for (t, _), recs in survived.items()
                                         if t in EVENT_TOPICS for k, v in recs])
                engine.dispose()
                clean = digest_of(url)
            assert replay_digest(stack.database_url, info.kafka_bootstrap) == clean
            assert clean != reference_digest(stack.database_url), "the cut records counted"

            again = CrmProcess(["down"], env, home / "cli.log")  # and the stack goes on
            assert again.wait(120) == 0, again.output()
            assert "was torn" not in again.output()
        finally:
            _stop(home, fresh_db_url)
