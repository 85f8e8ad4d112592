"""`crm bench --json` in its quick mode with tiny sizes: every figure is there and positive.

Timings are never asserted (design.md, "Measures"): only that the benchmark runs end to
end on its own embedded stacks and reports each figure the issue asks for.
"""

from __future__ import annotations

import json
import math

import pytest

from bench.run import Plan, main

pytestmark = pytest.mark.integration

FIGURES = ("backfill_events", "backfill_rows", "backfill_wall_s", "backfill_events_per_s",
           "copy_floor_s", "live_events_per_s", "live_p50_ms", "live_p99_ms", "peak_rss_mb",
           "rebuild_wall_s", "rebuild_events", "rebuild_rows", "rebuild_copy_floor_s",
           "rebuild_to_copy_ratio", "rebuild_no_history_to_copy_ratio",
           "live_capacity_events_per_s", "live_rules_events_per_s", "live_efficiency",
           "passthrough_faust_per_s", "passthrough_confluent_per_s",
           "live_to_passthrough_faust", "live_p99_ms_at_half_capacity",
           "backfill_to_copy_ratio", "backfill_to_copy_ratio_all_rows")
SCALING = ("scale", "events", "wall_s", "events_per_s", "peak_rss_mb")


def _positive(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and math.isfinite(value) and value > 0


def test_quick_bench_reports_every_figure_as_a_positive_number(capsys) -> None:
    # the smallest plan that still runs every stage: one day at scale 0.25 everywhere (the
    # stages' sample, the live history, the headline backfill, which is also the scaling
    # run at 0.25); the scaling run at 0.5 skips the rebuilds (the headline's give their keys)
    plan = Plan.quick(days=1, scale=0.25, scaling_days=1, scales=(0.25, 0.5), sample_days=1,
                      sample_scale=0.25, live_history_days=1, live_history_scale=0.25,
                      live_seconds=0.5, live_burst=300, scaling_rebuild=False)
    returned = main(json_output=True, plan=plan, kafka="tansu")  # whatever the env says
    printed = json.loads(capsys.readouterr().out)
    for figures in (printed, returned):
        for key in FIGURES:
            assert _positive(figures[key]), (key, figures[key])
        assert [s["scale"] for s in figures["scaling"]] == [0.25, 0.5]
        assert figures["backfill_scale"] == 0.25
        for entry in figures["scaling"]:
            for key in SCALING:
                assert _positive(entry[key]), (key, entry)
        assert {t["target"] for t in figures["targets"]}
        assert isinstance(figures["live_over_capacity"], bool)
        assert figures["stages"]["codec"] and figures["stages"]["rules"]["inputs_per_s"] > 0
