"""`crm demo`: the whole CRM on the local stack, then the analysts' reports.

up -> backfill (180 days by default) -> a few accelerated live cycles through the faust
worker and the projector over Kafka -> the seed's seven reports read back from PostgreSQL.
"""

from __future__ import annotations

import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from backfill.generate import BackfillPlan
from backfill.run import run_backfill
from crm.bootstrap import Services
from events.core_group import core_group_consumer, folded_inputs
from events.topics import COMMANDS, EVENT_TOPICS, TOPICS
from kafka_client.offsets import log_ends
from localstack.worker_processes import workers
from operations.live_figures import projected_positions
from operations.simulate import simulate
from projectors.db import table_counts
from projectors.seed_queries import SEED_QUERIES
from reports.queries import print_rows, read_only_query


def run_demo(services: Services, console: Console, days: int = 180, seed: int = 42,
             scale: float = 1.0, cycles: int = 6, simulation: str = "business") -> None:
    """Every stage, with progress, ending with the seven reports."""
    console.rule("[bold]1. backfill")
    plan = BackfillPlan.ending(days, seed, None, scale, now=datetime.now(UTC))
    run_backfill(services, plan, console, simulation)
    console.rule("[bold]2. live cycles over Kafka (faust core + projector)")
    with workers(services.settings) as procs:
        n = simulate(services, cycles, speed=0, seed=seed, scale=scale,
                     on_cycle=lambda k, at: console.print(f"  cycle {k} at {at:%Y-%m-%d %H:%M}"))
        console.print(f"  submitted {n:,} live inputs; waiting for the workers")
        with console.status("core worker folding the log and deriving events"):
            _wait(lambda: _core_done(services), procs, "the core worker", 900)
        with console.status("projector writing the read tables"):
            _wait(lambda: _projected(services), procs, "the projector", 900)
    console.rule("[bold]3. the analysts' reports (seed queries, unmodified)")
    for name, query in SEED_QUERIES.items():
        columns, rows = read_only_query(services.engine, query)
        print_rows(console, columns, rows, title=name)
    counts = table_counts(services.engine)
    empty = [t for t, c in counts.items() if c == 0]
    console.print(f"[green]{sum(counts.values()):,} rows[/] in {len(counts)} tables"
                  + (f"; empty: {', '.join(empty)}" if empty else "; none empty"))
    _how_to_open_the_dashboard(console)


def _how_to_open_the_dashboard(console: Console) -> None:
    crm = _crm_command()
    console.rule("[bold]4. the dashboard")
    console.print(
        "The seven reports as charts, with live figures, in your browser:\n"
        '  export CRM_API_KEYS="dev-writer:writer:you,dev-analyst:analyst:you"  # your keys\n'
        f"  {crm} serve --workers\n"
        "  then open [bold]http://127.0.0.1:8080/[/] (no key needed from this machine; "
        "from elsewhere, serve with --host and give the page the analyst key)\n"
        "Post a lead with curl and watch the lead funnel count it: README.md, "
        '"The dashboard".', highlight=False, soft_wrap=True)


def _crm_command() -> str:
    """How the user ran crm: `crm` when that is on PATH, else the path (.venv/bin/crm)."""
    ran = Path(sys.argv[0]).resolve()
    on_path = shutil.which("crm")
    if ran.name != "crm" or (on_path and Path(on_path).resolve() == ran):
        return "crm"
    try:
        return str(ran.relative_to(Path.cwd()))
    except ValueError:
        return str(ran)


def _wait(done, procs, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        dead = [role for role, p in procs.items() if p.poll() is not None]
        if dead:
            raise RuntimeError(f"worker {dead[0]} exited; see CRM_HOME/logs/{dead[0]}.log")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not catch up within {timeout:.0f}s")
        time.sleep(0.5)


def _core_done(services: Services) -> bool:
    end = log_ends(services.bootstrap, [(COMMANDS, 0)], services.kafka_extra)[(COMMANDS, 0)]
    consumer = core_group_consumer(services.bootstrap, services.kafka_extra)
    try:
        return folded_inputs(consumer, timeout=10) >= end
    finally:
        consumer.close()


def _projected(services: Services) -> bool:
    partitions = [(s.name, p) for s in TOPICS if s.name in EVENT_TOPICS
                  for p in range(s.partitions)]
    ends = log_ends(services.bootstrap, partitions, services.kafka_extra)
    stored = projected_positions(services.engine)
    return all(stored.get(tp, 0) >= end for tp, end in ends.items())
