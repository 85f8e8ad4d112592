"""`crm bench`: the benchmarks, run as `python -m bench.run` in a process of their own.

bench/ measures the product from outside (it composes its own stacks from `crm.bootstrap`
and `localstack`), so it sits above `crm`; the CLI only names the module to run and
never imports it. The benchmarks want a process of their own anyway: they start and stop
stacks, children and environment variables, and report their own peak memory.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Annotated

import typer


def bench(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable figures")] = False,
    quick: Annotated[bool, typer.Option(help="Small sizes (a minute or two)")] = False,
    days: Annotated[int | None, typer.Option(help="Days of the headline backfill")] = None,
    kafka: Annotated[str | None, typer.Option(
        metavar="BOOTSTRAP", help="Kafka cluster for the Kafka-bound stages (default "
        "CRM_KAFKA_BOOTSTRAP; its CRM topics must be absent or empty)")] = None,
) -> None:
    """Measure throughput, latency and memory (backfill vs COPY floor, live path, scaling).

    Runs on its own temporary embedded stack (with --kafka or CRM_KAFKA_BOOTSTRAP, on that
    Kafka cluster); prints figures, asserts nothing.
    """
    args = [*(["--json"] if as_json else []), *(["--quick"] if quick else []),
            *(["--days", str(days)] if days is not None else []),
            *(["--kafka", kafka] if kafka else [])]
    done = subprocess.run([sys.executable, "-m", "bench.run", *args], check=False)
    if done.returncode:
        raise typer.Exit(done.returncode)
