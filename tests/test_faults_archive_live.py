"""A crashed embedded broker loses at most the last archive interval (issue 17 point 3).

`crm run --role projector` archives continuously in local mode, and `crm status` shows
how far the archive lags the broker. Before, only `crm down` (and the end of a backfill)
archived: a kill -9 of the broker lost everything produced since.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import psutil
import pytest
from faults_support import (
    CrmProcess,
    clean_digest,
    continuation,
    crm_env,
    history,
    kill_broker,
    produce,
    read_partitions,
    replay_digest,
    stack_settings,
    wait_for,
)
from support import temp_home

import localstack
from archive.log import archived_counts
from crm.bootstrap import bootstrap
from localstack.durability import ARCHIVE_INTERVAL


def _status(home: Path, env: dict[str, str]) -> dict:
    done = CrmProcess(["status", "--json"], env, home / "status.log")
    assert done.wait(60) == 0, done.output()
    return dict(json.loads(done.output().strip().splitlines()[-1]))


@pytest.mark.faults
@pytest.mark.integration
def test_the_live_projector_archives_continuously_so_a_broker_crash_loses_nothing_archived(
        stack, fresh_db_url: str) -> None:
    h = history()
    with temp_home() as home:
        settings = stack_settings(home, database_url=fresh_db_url)
        env = crm_env(home, database_url=fresh_db_url)
        projector = None
        try:
            services = bootstrap(settings)
            services.init()
            produce(services.bootstrap, h.records)
            lag = _status(home, env)["archive"]
            assert lag == {"on_broker": len(h.records), "archived": 0,
                           "behind": len(h.records), "partitions_behind": lag["partitions_behind"]}
            assert lag["partitions_behind"] > 10

            projector = CrmProcess(["run", "--role", "projector"], env, home / "run.log")
            archive = home / "archive"

            def archived(total: int) -> bool:
                return archive.exists() and sum(archived_counts(archive).values()) == total

            wait_for(lambda: archived(len(h.records)), 120, "the history archived", projector)
            more = [r for cycle in continuation(h, 3) for r in cycle]
            produce(services.bootstrap, more)  # live traffic: archived within an interval
            total = len(h.records) + len(more)
            wait_for(lambda: archived(total), 4 * ARCHIVE_INTERVAL + 30, "live records archived",
                     projector)
            assert _status(home, env)["archive"]["behind"] == 0
            before = read_partitions(services.bootstrap)

            # the archive runs in a process of the projector's own, which dies with it
            archiving = psutil.Process(projector.proc.pid).children()
            assert [" ".join(p.cmdline()) for p in archiving] == [
                f"{sys.executable} -m localstack.archive_follower {archive} "
                f"{services.bootstrap} {ARCHIVE_INTERVAL} {projector.proc.pid}"]
            projector.kill9()  # a crash of everything: no `crm down`
            _, alive = psutil.wait_procs(archiving, timeout=30)
            assert not alive, "the archiving process outlived the projector"
            kill_broker(settings)
            up = CrmProcess(["up"], env, home / "cli.log")
            assert up.wait(120) == 0, up.output()
            assert f"restored {total:,} records" in up.output()
            info = localstack.status(settings)
            assert info is not None
            assert read_partitions(info.kafka_bootstrap) == before, "nothing lost"
            assert _status(home, env)["archive"]["behind"] == 0
            # and the restored log projects to what a clean run of the same records gives
            assert replay_digest(stack.database_url, info.kafka_bootstrap) == clean_digest(
                stack.database_url, [*h.records, *more])
        finally:
            if projector is not None and projector.alive():
                projector.kill9()
            if localstack.status(settings) is not None:
                kill_broker(settings)
            localstack.down(settings)
