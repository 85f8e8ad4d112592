"""One measured backfill in a process of its own: `python -m bench.backfill_child`.

A fresh CRM_HOME and embedded stack per run, so the figures of one scale never carry the
caches, heap or tables of another, and the process' peak RSS is this backfill's alone.
Prints one JSON object (the last line of stdout).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from datetime import date
from typing import Any

import psutil


def _tree(pid: int | None) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid) if pid else None
        return [root, *root.children(recursive=True)] if root else []
    return []


def _servers(pg_pid: int | None, broker_pid: int | None) -> dict[str, tuple[float, float]]:
    """(RSS MiB, CPU seconds so far) of the PostgreSQL server (all its processes) and of
    the broker."""
    out = {}
    for name, pid in (("postgres", pg_pid), ("broker", broker_pid)):
        rss = cpu = 0.0
        for n, proc in enumerate(_tree(pid)):
            with contextlib.suppress(psutil.Error):
                rss += proc.memory_info().rss
                times = proc.cpu_times()
                cpu += times.user + times.system
                if n == 0:  # backends that have exited (a connection closed) count here
                    cpu += times.children_user + times.children_system
        out[name] = (rss / 2**20, cpu)
    return out


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def rebuild_figures(services: Any, history: bool) -> dict[str, Any]:
    """`crm rebuild` (`projectors.rebuild.rebuild`) of the stack's log, timed, then the
    COPY floor of every row it wrote: the 25 tables and the extensions, so the field
    history's rows when `history` (else `CRM_FIELD_HISTORY=0`: the history stays empty)."""
    from backfill.helper_process import cpu_s, peak_rss_mb
    from bench.copy_floor import copy_floor
    from projectors.rebuild import rebuild

    saved = os.environ.get("CRM_FIELD_HISTORY")
    os.environ["CRM_FIELD_HISTORY"] = "1" if history else "0"
    try:
        before = _servers(services.stack.pg_pid, services.stack.broker_pid)
        cpu0, children0 = cpu_s(), _children_cpu_s()
        t0 = time.perf_counter()
        events = rebuild(services.database_url, services.bootstrap, services.kafka_extra)
        wall = time.perf_counter() - t0
        cpu = {"rebuild": cpu_s() - cpu0, "rebuild_workers": _children_cpu_s() - children0}
        after = _servers(services.stack.pg_pid, services.stack.broker_pid)
        cpu.update({name: after[name][1] - before[name][1] for name in after})
    finally:
        if saved is None:
            os.environ.pop("CRM_FIELD_HISTORY", None)
        else:
            os.environ["CRM_FIELD_HISTORY"] = saved
    f = copy_floor(services.database_url, extensions=True)
    return {"wall_s": wall, "events": events, "events_per_s": events / wall,
            "rows": f.rows, "rows_by_table": f.rows_by_table,
            "field_history_rows": f.rows_by_table.get("field_history", 0),
            "copy_floor_s": f.seconds, "copy_bytes": f.bytes,
            "ratio_to_copy": wall / f.seconds if f.seconds else 0.0,
            "cpu_s": cpu, "cpu_cores_busy": sum(cpu.values()) / wall,
            "peak_rss_mb": peak_rss_mb()}


def run(days: int, scale: float, seed: int, end_date: date, simulation: str,
        floor: bool = True, rebuild: bool = True) -> dict[str, Any]:
    """Backfill on a new stack; returns its figures (and the COPY floor of its rows), then,
    with `rebuild` (and `floor`), `crm rebuild` of the same log with field history on and
    off, each against the COPY floor of the rows it wrote."""
    from rich.console import Console

    from backfill.generate import BackfillPlan
    from backfill.helper_process import cpu_s, peak_rss_mb
    from backfill.run import run_backfill
    from bench.copy_floor import copy_floor
    from bench.stack import temp_stack

    plan = BackfillPlan(days, seed, end_date, scale)
    with temp_stack(prefix="crm-bench-backfill-") as services, open(os.devnull, "w") as null:
        rss_before = peak_rss_mb()
        before = _servers(services.stack.pg_pid, services.stack.broker_pid)
        cpu0 = cpu_s()
        t0 = time.perf_counter()
        summary = run_backfill(services, plan, Console(file=null), simulation)
        wall = time.perf_counter() - t0
        own_cpu = cpu_s() - cpu0
        peak = peak_rss_mb()
        after = _servers(services.stack.pg_pid, services.stack.broker_pid)
        servers = {name: rss for name, (rss, _) in after.items()}
        cpu = {"backfill": own_cpu, **summary.cpu_s,
               **{name: after[name][1] - before[name][1] for name in after}}
        result: dict[str, Any] = {
            "days": days, "scale": scale, "seed": seed, "simulation": simulation,
            "inputs": summary.inputs, "events": summary.events, "rows": summary.rows,
            "rejections": summary.rejections, "wall_s": wall,
            "events_per_s": summary.events / wall,
            "records_per_s": (summary.inputs + summary.events) / wall,
            "phases_s": summary.seconds, "peak_rss_mb": peak,
            "rss_before_backfill_mb": rss_before,
            "servers_rss_mb": servers,
            "followers_peak_rss_mb": summary.peak_rss_mb,
            "projection": summary.projection,
            # CPU seconds per process over the run: what the two cores were busy with
            "cpu_s": cpu, "cpu_cores_busy": sum(cpu.values()) / wall,
        }
        if floor:
            f = copy_floor(services.database_url)
            result.update(copy_floor_s=f.seconds, copy_rows=f.rows, copy_bytes=f.bytes,
                          copy_rows_per_s=f.rows_per_s,
                          ratio_to_copy=wall / f.seconds if f.seconds else 0.0)
        if floor and rebuild:
            result["rebuild"] = rebuild_figures(services, history=True)
            result["rebuild_no_history"] = rebuild_figures(services, history=False)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--end-date", default="2026-01-31")
    parser.add_argument("--simulation", default="business")
    parser.add_argument("--no-floor", action="store_true")
    parser.add_argument("--no-rebuild", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.days, args.scale, args.seed, date.fromisoformat(args.end_date),
                 args.simulation, floor=not args.no_floor, rebuild=not args.no_rebuild)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
