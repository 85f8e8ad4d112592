"""The bench's figures for a reader: issue 18's targets met or not, and the report tables.

`crm bench` prints these (or, with `--json`, the figures as one JSON object).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table

# Memory "no faster than linear": peak RSS above the process' baseline may grow by at
# most the scale factor, with 10 % allowance for allocator and dict-resize granularity.
LINEAR_TOLERANCE = 1.10


def scaling_entry(run: dict[str, Any]) -> dict[str, Any]:
    """One scaling run's figures, as the report and the JSON carry them."""
    return {"scale": run["scale"], "days": run["days"], "inputs": run["inputs"],
            "events": run["events"], "rows": run["rows"], "wall_s": run["wall_s"],
            "events_per_s": run["events_per_s"], "peak_rss_mb": run["peak_rss_mb"],
            "baseline_rss_mb": run["rss_before_backfill_mb"],
            "copy_floor_s": run.get("copy_floor_s"), "ratio_to_copy": run.get("ratio_to_copy"),
            "rebuild_wall_s": run.get("rebuild", {}).get("wall_s"),
            "rebuild_to_copy_ratio": run.get("rebuild", {}).get("ratio_to_copy"),
            "phases_s": run["phases_s"]}


def live_to_passthrough(live: dict[str, Any]) -> float:
    """How close the core worker runs to faust's own floor, in CPU per input (idle CPU
    subtracted, so the machine's other load hardly moves it): the bare faust agent of the
    core's very shape (`faust-batch`: batches in, a record batch per partition out, as many
    records out per input as the core) / the core worker during the burst. 1.0: the core
    costs no more than faust passing its traffic through."""
    floor = live["passthrough"]["faust-batch"]["cpu_us_per_record"]
    return floor / live["extra"]["core_cpu_us_per_input"]


def targets(f: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 18's targets (ratios within one run) with the measured value and met / not
    met, and the fixed-rate live latency issue 18 keeps beside them (issue 7's goal)."""
    scaling = sorted(f["scaling"], key=lambda s: s["scale"])

    def state(run: dict[str, Any]) -> float:  # memory the backfill added to the process
        return max(run["peak_rss_mb"] - run["baseline_rss_mb"], 1.0)

    steps = [(state(b) / state(a), b["scale"] / a["scale"])
             for a, b in zip(scaling, scaling[1:], strict=False)]
    linear = all(growth <= factor * LINEAR_TOLERANCE for growth, factor in steps)
    growth = ", ".join(f"x{g:.2f} for x{s:g} scale" for g, s in steps) or "n/a"
    ratio = f["backfill_to_copy_ratio"]
    half = f["live_p99_ms_at_half_capacity"]
    rows = [
        ("live efficiency", ">= 0.5", f"{f['live_efficiency']:.2f}",
         f["live_efficiency"] >= 0.5),
        ("p99 command-to-row at half capacity", "<= 100 ms", f"{half:.0f} ms", half <= 100),
        ("backfill vs COPY floor of the 25 tables", "<= 20x", f"{ratio:.1f}x", ratio <= 20),
    ]
    if "rebuild_to_copy_ratio" in f:
        rebuild = f["rebuild_to_copy_ratio"]
        rows.append(("rebuild vs COPY floor of its rows", "<= 5x", f"{rebuild:.1f}x",
                     rebuild <= 5))
    fixed = f"{f['live_p99_ms']:.0f} ms" + (" (over capacity)" if f["live_over_capacity"]
                                              else "")
    rows += [
        ("peak memory (any process)", "< 1024 MB", f"{f['peak_rss_mb']:.0f} MB",
         f["peak_rss_mb"] < 1024),
        ("backfill memory growth with --scale", "<= linear (+10 %)", growth, linear),
        (f"p99 event-to-row at {f['live_offered_per_s']:,.0f}/s", "<= 250 ms", fixed,
         f["live_p99_ms"] <= 250),
    ]
    return [{"target": name, "goal": goal, "value": value, "met": bool(met)}
            for name, goal, value, met in rows]


def print_report(out: Console, f: dict[str, Any]) -> None:
    """The figures as readable tables."""
    m = f["machine"]
    out.print(f"[bold]crm bench[/] on {m['cpus']} x {m['cpu_model']}, {m['memory_gb']} GB, "
              f"Python {m['python']} (load {m['load_avg_1m_at_start']} -> "
              f"{m['load_avg_1m_at_end']}); simulation {f['simulation']}, "
              f"{f['elapsed_s']:.0f} s")

    t = Table(title=f"backfill: {f['backfill_days']} days, scale {f['backfill_scale']:g}",
              show_header=False)
    t.add_row("inputs -> derived events", f"{f['backfill_inputs']:,} -> {f['backfill_events']:,}")
    t.add_row("rows in 25 tables", f"{f['backfill_rows']:,}")
    t.add_row("wall time", f"{f['backfill_wall_s']:.1f} s "
              f"({f['backfill_events_per_s']:,.0f} events/s)")
    phases = ", ".join(f"{k} {v:.1f}" for k, v in f["backfill_phases_s"].items())
    t.add_row("phases (s)", phases)
    t.add_row("COPY floor of those rows", f"{f['copy_floor_s']:.2f} s "
              f"({f['copy_rows_per_s']:,.0f} rows/s)")
    t.add_row("backfill / COPY floor", f"{f['backfill_to_copy_ratio']:.1f}x")
    if f.get("backfill_copy_floor_all_rows_s"):
        t.add_row("backfill / COPY floor of every row it writes",
                  f"{f['backfill_to_copy_ratio_all_rows']:.1f}x (field history too: "
                  f"{f['backfill_copy_floor_all_rows_s']:.2f} s)")
    t.add_row("peak RSS (backfill process)", f"{f['backfill_peak_rss_mb']:.0f} MB")
    cpu = f.get("backfill", {}).get("cpu_s", {})
    if cpu:  # the two cores' budget: what each process of the backfill used
        t.add_row("CPU s by process", ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
        t.add_row("cores busy (average)", f"{f['backfill']['cpu_cores_busy']:.2f} of "
                  f"{m['cpus']}")
    out.print(t)

    t = Table("scale", "days", "inputs", "events", "rows", "wall s", "events/s", "peak RSS MB",
              "x COPY", title="scaling (each run: own process, own stack)")
    for s in f["scaling"]:
        t.add_row(f"{s['scale']:g}", str(s["days"]), f"{s['inputs']:,}", f"{s['events']:,}",
                  f"{s['rows']:,}", f"{s['wall_s']:.1f}", f"{s['events_per_s']:,.0f}",
                  f"{s['peak_rss_mb']:.0f}", f"{(s['ratio_to_copy'] or 0):.1f}")
    out.print(t)

    live = f["live"]
    t = Table(title="live path: faust core worker + projector worker (subprocesses)",
              show_header=False)
    half = live["half"]
    t.add_row(f"latency at half capacity ({half['offered_per_s']:,.0f} commands/s)",
              f"p50 {half['p50_ms']:.0f} ms, p99 {half['p99_ms']:.0f} ms")
    t.add_row("efficiency (live / in-process rules)",
              f"{live['efficiency']:.2f} (CPU per input: {live['cpu_efficiency']:.2f})")
    t.add_row("pass-through (records/s)", ", ".join(
        f"{k} {v['per_s']:,.0f}" for k, v in live["passthrough"].items()))
    t.add_row(f"latency at {live['offered_per_s']:,.0f} commands/s"
              + (" (over capacity)" if live["over_capacity"] else ""),
              f"p50 {live['p50_ms']:.0f} ms, p90 {live['p90_ms']:.0f} ms, "
              f"p99 {live['p99_ms']:.0f} ms, max {live['max_ms']:.0f} ms "
              f"({live['latency_commands']:,} commands)")
    t.add_row("sustained (burst)", f"{live['events_per_s']:,.0f} events/s "
              f"({live['commands_per_s']:,.0f} commands/s, {live['burst_events']:,} events "
              f"in {live['burst_wall_s']:.1f} s)")
    cpu = live.get("extra", {}).get("burst_cpu_cores", {})
    if cpu:
        t.add_row("CPU cores during burst", ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    t.add_row("peak RSS", f"core {live['core_peak_rss_mb']:.0f} MB, "
              f"projector {live['projector_peak_rss_mb']:.0f} MB")
    out.print(t)

    st = f["stages"]
    t = Table("event mix", "events", "types", "bytes", "encode/s", "decode/s",
              title="stage: Avro codec (wire format + contract validation)")
    for c in st["codec"]:
        t.add_row(c["mix"], f"{c['events']:,}", str(c["types"]), f"{c['mean_bytes']:.0f}",
                  f"{c['encode_per_s']:,.0f}", f"{c['decode_per_s']:,.0f}")
    out.print(t)
    r, i = st["rules"], st["ingest"]
    t = Table(title="stages: rules runtime and projector write path", show_header=False)
    t.add_row("rules (in-process)", f"{r['inputs_per_s']:,.0f} inputs/s, "
              f"{r['events_per_s']:,.0f} derived events/s ({r['inputs']:,} inputs)")
    t.add_row("projector ingest", f"{i['events_per_s']:,.0f} events/s, {i['rows_per_s']:,.0f} "
              f"rows/s ({i['events']:,} events, {i['batches']} batches)")
    t.add_row("ingest vs COPY floor", f"{i['seconds']:.2f} s vs {i['copy_floor_s']:.2f} s = "
              f"{i['ratio_to_copy']:.1f}x")
    out.print(t)

    t = Table("target (issue 18)", "goal", "measured", "met", title="targets")
    for row in f["targets"]:
        t.add_row(row["target"], row["goal"], row["value"],
                  "[green]met[/]" if row["met"] else "[red]not met[/]")
    out.print(t)


def jsonable(value: Any) -> Any:
    """`value` with dates as ISO text and tuples as lists (for `json.dumps`)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value
