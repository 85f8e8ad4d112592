"""Backfill and local-broker faults: kill -9 of the whole `crm backfill` at random points,
and `crm down` / `crm up` of the embedded broker. Same log, same tables."""

from __future__ import annotations

import io
import multiprocessing
import os
import signal
import time
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from faults_support import (
    ALL_PARTITIONS,
    CrmProcess,
    History,
    continuation,
    core_committed,
    crm_env,
    digest_of,
    fault_rng,
    history,
    kill_broker,
    produce,
    projected_fraction,
    projection_under_way,
    read_partitions,
    reference_digest,
    scratch_database,
    stack_settings,
    stored_offsets,
    wait_for,
)
from rich.console import Console
from support import temp_home

import localstack
from archive.log import archived_counts, read_partition
from backfill.generate import run_dir
from backfill.publish import LogConflict
from backfill.publisher_process import CHUNK, PublisherProcess
from backfill.run import run_backfill
from crm.bootstrap import bootstrap
from projectors.db import make_engine
from projectors.runner import Projector

# markers per test, by what each needs: the server-free ones run in `make test-fast`


def kill9_with_followers(proc: CrmProcess) -> None:
    """kill -9 `crm backfill`, then check that its projector and archiver processes died
    with it (an orphan would go on writing rows and archive files beside the rerun)."""
    try:
        children = psutil.Process(proc.proc.pid).children()
    except psutil.Error:
        children = []
    spawned = [c for c in children if "spawn_main" in " ".join(_cmdline(c))]
    proc.kill9()
    _, alive = psutil.wait_procs(spawned, timeout=10)
    assert not alive, f"followers outlived the killed backfill: {alive}"


def _cmdline(process: psutil.Process) -> list[str]:
    try:
        return process.cmdline()
    except psutil.Error:
        return []


def local_stack(home: Path, db_url: str):
    """Settings of a local-mode stack (embedded broker) on the test's database."""
    return stack_settings(home, database_url=db_url)


def stop_local_broker(home: Path, db_url: str) -> None:
    settings = local_stack(home, db_url)
    if localstack.status(settings) is not None:
        kill_broker(settings)
    localstack.down(settings)


def left_to_do(home: Path, directory: Path, db_url: str, h: History) -> list[str]:
    """The phases a killed backfill had not finished: its rerun has work to redo."""
    left = [] if (directory / "generated.json").exists() else ["generation"]
    ends = {tp: len(v) for tp, v in h.by_partition(h.events).items()}
    if projected_fraction(db_url, ends) < 1:
        left.append("projection")
    archive = home / "archive"
    if not archive.exists() or sum(archived_counts(archive).values()) < len(h.records):
        left.append("archive")
    return left


@pytest.mark.faults
@pytest.mark.integration
def test_backfill_killed_at_random_points_and_rerun_equals_one_clean_run(
        stack, fresh_db_url: str) -> None:
    rng = fault_rng("backfill kill -9")
    h = history()
    with temp_home() as home:
        env = crm_env(home, database_url=fresh_db_url)  # embedded broker, test's database
        log = home / "backfill.log"
        directory = run_dir(home, h.plan)
        try:
            # 1: while generating the log
            proc = CrmProcess(h.backfill_args(), env, log)
            wait_for(lambda: (directory / "log.avro.tmp").exists(), 120, "generation", proc,
                     interval=0.01)
            time.sleep(rng.uniform(0, 0.3))
            kill9_with_followers(proc)
            faults = [left_to_do(home, directory, fresh_db_url, h)]
            assert "generation" in faults[0], "kill 1 came after the log was generated"
            # 2: generated; publishing or starting to project
            proc = CrmProcess(h.backfill_args(), env, log)
            wait_for(lambda: (directory / "generated.json").exists(), 120, "the log", proc,
                     interval=0.01)
            time.sleep(rng.uniform(0, 1.5))
            kill9_with_followers(proc)
            faults.append(left_to_do(home, directory, fresh_db_url, h))
            assert faults[-1], "kill 2 came after the backfill's work was done"
            # 3: while projecting (the fold's transaction open, or some batch committed and
            # others in flight) or archiving
            proc = CrmProcess(h.backfill_args(), env, log)
            ends = {tp: len(v) for tp, v in h.by_partition(h.events).items()}
            wait_for(lambda: projection_under_way(fresh_db_url, ends), 120, "projection",
                     proc, interval=0.01)
            time.sleep(rng.uniform(0, 1.0))
            kill9_with_followers(proc)
            faults.append(left_to_do(home, directory, fresh_db_url, h))
            assert faults[-1], "kill 3 came after the backfill's work was done"
            print(f"left to do at each kill: {faults}")
            # last: runs to the end
            proc = CrmProcess(h.backfill_args(), env, log)
            assert proc.wait(300) == 0, proc.output()

            info = localstack.status(local_stack(home, fresh_db_url))
            assert info is not None and info.embedded_kafka
            on_kafka = read_partitions(info.kafka_bootstrap)
            expected = h.by_partition()
            for tp in set(on_kafka) | set(expected):
                got, want = on_kafka.get(tp, []), expected.get(tp, [])
                assert got == want, (f"{tp}: {len(got)} records on Kafka, {len(want)} in the "
                                     "log: each record must be published exactly once")
            assert digest_of(fresh_db_url) == reference_digest(stack.database_url)
            assert core_committed(info.kafka_bootstrap) == len(h.commands)
            archive = home / "archive"
            assert archived_counts(archive) == {tp: len(v) for tp, v in on_kafka.items()}
            for (topic, partition), records in on_kafka.items():
                archived = [(r["key"].decode(), r["value"])
                            for r in read_partition(archive, topic, partition)]
                assert archived == records, f"archive of {topic}/{partition}"
        finally:
            stop_local_broker(home, fresh_db_url)


@pytest.mark.faults
@pytest.mark.integration
def test_embedded_broker_down_and_up_restores_the_log_and_loses_nothing(
        stack, fresh_db_url: str) -> None:
    h = history()
    with temp_home() as home:
        settings = local_stack(home, fresh_db_url)
        h.copy_run_into(home)  # generated already: publish, project, archive
        try:
            services = bootstrap(settings)
            run_backfill(services, h.plan, Console(file=io.StringIO()), h.simulation)
            # live traffic after the backfill's archive: only `crm down` archives it
            extra = [r for cycle in continuation(h, 6) for r in cycle]
            produce(services.bootstrap, extra)
            projector = Projector(services.engine, services.bootstrap)
            projector.catch_up(timeout=120)
            projector.close()
            before_log = read_partitions(services.bootstrap)
            before_digest = digest_of(fresh_db_url)
            before_offsets = stored_offsets(fresh_db_url)
            assert sum(map(len, before_log.values())) == len(h.records) + len(extra)

            env = crm_env(home, database_url=fresh_db_url)
            down = CrmProcess(["down"], env, home / "cli.log")
            assert down.wait(120) == 0, down.output()
            assert localstack.status(settings) is None
            up = CrmProcess(["up"], env, home / "cli.log")
            assert up.wait(120) == 0, up.output()
            assert "restored" in up.output()

            info = localstack.status(settings)
            assert info is not None
            assert read_partitions(info.kafka_bootstrap) == before_log, \
                "every record back, at its partition and offset"
            # the projector's stored positions are still right: nothing to redo or skip
            resumed = Projector(make_engine(fresh_db_url), info.kafka_bootstrap)
            resumed.catch_up(timeout=120)
            resumed.close()
            assert resumed.stats.events == 0
            assert stored_offsets(fresh_db_url) == before_offsets
            assert digest_of(fresh_db_url) == before_digest
            # and the restored log projects to the same tables from scratch
            with scratch_database(stack.database_url) as url:
                again = Projector(make_engine(url), info.kafka_bootstrap, group="replay")
                again.catch_up(timeout=120)
                again.close()
                assert digest_of(url) == before_digest
            assert set(before_log) <= set(ALL_PARTITIONS)
        finally:
            stop_local_broker(home, fresh_db_url)
    assert before_digest != reference_digest(stack.database_url)  # the extra leads count


@pytest.mark.faults
@pytest.mark.integration
def test_a_backfill_of_another_history_is_refused_and_publishes_nothing(
        stack, fresh_db_url: str) -> None:
    h = history()
    with temp_home() as home:
        settings = local_stack(home, fresh_db_url)
        h.copy_run_into(home)
        try:
            services = bootstrap(settings)
            run_backfill(services, h.plan, Console(file=io.StringIO()), h.simulation)
            before = read_partitions(services.bootstrap)
            other = replace(h.plan, seed=h.plan.seed + 1, days=1)
            # refused in the publisher process, raised here with its own type and reason
            with pytest.raises(LogConflict, match="different history"):
                run_backfill(services, other, Console(file=io.StringIO()), h.simulation)
            assert read_partitions(services.bootstrap) == before
        finally:
            stop_local_broker(home, fresh_db_url)


@pytest.mark.faults
@pytest.mark.integration
def test_a_killed_publisher_fails_the_backfill_at_once_saying_how_it_ended(
        kafka_bootstrap: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    sent: list[int] = []
    with pytest.raises(RuntimeError, match=r"exit code -9\).*run the backfill again"), \
            PublisherProcess(ctx, kafka_bootstrap, {}) as publisher:
        assert publisher.pid is not None
        os.kill(publisher.pid, signal.SIGKILL)
        dead = psutil.Process(publisher.pid)  # dead = a zombie: its end of the pipe is shut
        wait_for(lambda: dead.status() == psutil.STATUS_ZOMBIE, 30, "the publisher to die")
        for n in range(CHUNK + 1):
            publisher.send("crm.leads", f"L-{n}", b"not published")
            sent.append(n)
        sent.append(-1)  # never reached: finish() would wait for a report
        publisher.finish()
    # noticed at once: the send that hands over the first full chunk raised (it met the
    # broken pipe), not finish() after waiting for a report that never comes
    assert sent == list(range(CHUNK - 1)), f"raised after {len(sent)} sends, not {CHUNK}"
