"""The bench's judgements on figures, without a stack."""

from __future__ import annotations

from bench.live_load import falling_behind, quarters
from bench.report import targets


def test_a_latency_that_keeps_growing_is_a_backlog_and_jitter_or_a_steady_one_is_not() -> None:
    # the quiet bench of 28 Nov at 1,000 commands/s (below the burst's capacity)
    assert falling_behind([3609.2, 8621.3, 12356.3, 11123.2])
    assert not falling_behind([138.1, 110.3, 227.9, 136.1])  # half capacity, steady
    assert not falling_behind([20.0, 30.0, 45.0, 90.0]), "small latencies are jitter"
    assert not falling_behind([400.0, 500.0, 600.0, 700.0]), "grows, but not twofold"


def test_latencies_are_cut_into_four_consecutive_quarters() -> None:
    assert quarters([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]) == [
        [1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]


def _figures(**overrides: object) -> dict[str, object]:
    figures: dict[str, object] = {
        "scaling": [{"scale": 0.25, "peak_rss_mb": 300.0, "baseline_rss_mb": 100.0},
                    {"scale": 1.0, "peak_rss_mb": 700.0, "baseline_rss_mb": 100.0}],
        "backfill_to_copy_ratio": 19.0, "rebuild_to_copy_ratio": 6.0,
        "live_efficiency": 0.2, "live_p99_ms_at_half_capacity": 90.0, "peak_rss_mb": 700.0,
        "live_p99_ms": 300.0, "live_offered_per_s": 1000.0, "live_over_capacity": True}
    return {**figures, **overrides}


def test_the_targets_are_issue_18s_ratios_each_met_or_not_by_its_own_figure() -> None:
    met = {t["target"]: t["met"] for t in targets(_figures())}
    assert met == {
        "live efficiency": False, "p99 command-to-row at half capacity": True,
        "backfill vs COPY floor of the 25 tables": True,
        "rebuild vs COPY floor of its rows": False, "peak memory (any process)": True,
        "backfill memory growth with --scale": True, "p99 event-to-row at 1,000/s": False}
    again = {t["target"]: t["met"] for t in targets(_figures(
        backfill_to_copy_ratio=20.5, rebuild_to_copy_ratio=4.9, live_efficiency=0.5))}
    assert again["backfill vs COPY floor of the 25 tables"] is False
    assert again["rebuild vs COPY floor of its rows"] is True
    assert again["live efficiency"] is True


def test_a_fixed_rate_above_capacity_says_so_beside_its_p99() -> None:
    fixed = [t for t in targets(_figures()) if t["target"].startswith("p99 event-to-row")]
    assert fixed[0]["value"] == "300 ms (over capacity)"
    calm = targets(_figures(live_over_capacity=False, live_p99_ms=80.0))
    assert [t["value"] for t in calm if t["target"].startswith("p99 event")] == ["80 ms"]


def test_memory_growing_faster_than_the_scale_is_not_met() -> None:
    runs = [{"scale": 1.0, "peak_rss_mb": 300.0, "baseline_rss_mb": 100.0},
            {"scale": 2.0, "peak_rss_mb": 800.0, "baseline_rss_mb": 100.0}]  # x3.5 for x2
    growth = [t for t in targets(_figures(scaling=runs)) if "growth" in t["target"]][0]
    assert growth["met"] is False and growth["value"] == "x3.50 for x2 scale"
