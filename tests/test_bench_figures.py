"""The bench's judgements on figures, without a stack."""

from __future__ import annotations

from bench.live_load import falling_behind, quarters


def test_a_latency_that_keeps_growing_is_a_backlog_and_jitter_or_a_steady_one_is_not() -> None:
    # the quiet bench of 28 Nov at 1,000 commands/s (below the burst's capacity)
    assert falling_behind([3609.2, 8621.3, 12356.3, 11123.2])
    assert not falling_behind([138.1, 110.3, 227.9, 136.1])  # half capacity, steady
    assert not falling_behind([20.0, 30.0, 45.0, 90.0]), "small latencies are jitter"
    assert not falling_behind([400.0, 500.0, 600.0, 700.0]), "grows, but not twofold"


def test_latencies_are_cut_into_four_consecutive_quarters() -> None:
    assert quarters([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]) == [
        [1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]
