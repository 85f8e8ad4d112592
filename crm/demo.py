"""`crm demo`: the whole path on the local stack, then a report read back from PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import text

from crm.bootstrap import Services
from crm.reporting import print_rows
from projectors.runner import Projector
from simulators.leads import lead_captures

REPORT = """
SELECT lead_grade, count(*) AS leads, round(avg(lead_score), 1) AS avg_score,
       min(lead_score) AS min_score, max(lead_score) AS max_score
FROM leads GROUP BY lead_grade ORDER BY lead_grade
"""


def run_demo(services: Services, console: Console, leads: int, seed: int) -> None:
    """Init, produce simulated leads, run the faust core and the projector, report."""
    console.print(f"[bold]database[/] {services.database_url}\n[bold]kafka[/]    "
                  f"{services.bootstrap}")
    services.init()
    start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    commands = list(lead_captures(seed, start - timedelta(days=3), leads))
    core = _start_core(services)
    try:
        with Progress(console=console) as progress:
            task = progress.add_task("produce CaptureLead", total=len(commands))
            with services.producer() as producer:
                for command in commands:
                    producer.send(command)
                    progress.advance(task)
            _project(services, progress, {c.aggregate_id for c in commands})
    finally:
        core.send_signal(signal.SIGTERM)
        core.wait(30)
    columns, rows = _query(services, REPORT)
    print_rows(console, columns, rows, title="leads by grade (read back from PostgreSQL)")


def _start_core(services: Services) -> subprocess.Popen[bytes]:
    log = services.settings.log_dir / "core.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CRM_HOME": str(services.settings.home)}
    return subprocess.Popen([sys.executable, "-m", "crm.cli", "run", "--role", "core"],
                            stdout=log.open("ab"), stderr=subprocess.STDOUT, env=env)


def _project(services: Services, progress: Progress, lead_ids: set[str],
             timeout: float = 180.0) -> None:
    task = progress.add_task("project into PostgreSQL", total=len(lead_ids))
    projector = Projector(services.engine, services.bootstrap, codec=services.codec,
                          extra=services.kafka_extra)
    deadline = time.monotonic() + timeout

    def done() -> bool:
        n = _count_scored(services, lead_ids)
        progress.update(task, completed=n)
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {n} of {len(lead_ids)} leads projected in {timeout}s; "
                               f"see {services.settings.log_dir / 'core.log'}")
        return n >= len(lead_ids)

    projector.run(done)


def _count_scored(services: Services, lead_ids: set[str]) -> int:
    with services.engine.connect() as conn:
        query = text("SELECT count(*) FROM leads WHERE lead_id = ANY(:ids) "
                     "AND lead_grade IS NOT NULL")
        return conn.execute(query, {"ids": list(lead_ids)}).scalar_one()


def _query(services: Services, query: str) -> tuple[list[str], list]:
    with services.engine.connect() as conn:
        result = conn.execute(text(query))
        return list(result.keys()), list(result.fetchall())
