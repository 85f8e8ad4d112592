"""A core worker given `crm.commands` by a rebalance decides on the whole log.

`processors.warmup.FoldedInputs` (docs/kafka.md, "Failover"): the inputs another worker
folded meanwhile are folded first; a state ahead of the log is rebuilt under exactly
once and kept at least once. The reads are stubbed here; tests/test_kafka_failover.py
proves it with two real workers on Apache Kafka.
"""

from __future__ import annotations

from typing import Any

import pytest

import processors.warmup as warmup
from processors.core import CoreProcessor


class Folds:
    """Records the ranges `fold_inputs` is asked for, and folds nothing."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.ranges: list[tuple[int, int]] = []

        class Client:
            def close(self) -> None:
                pass

        monkeypatch.setattr(warmup, "core_group_consumer", lambda *a, **k: Client())
        monkeypatch.setattr(warmup, "fold_inputs", self.fold)

    def fold(self, processor: Any, consumer: Any, start: int, end: int) -> None:
        self.ranges.append((start, end))
        processor.processed += end - start


def test_a_worker_taking_over_folds_the_inputs_another_worker_folded_meanwhile(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folds = Folds(monkeypatch)
    folded = warmup.FoldedInputs(CoreProcessor(), "b:1", position=100, exactly_once=True)
    for offset in range(100, 103):
        folded.at(offset)

    folded.rebalanced()  # another worker folded 103..179 meanwhile
    folded.catch_up(180)

    assert folds.ranges == [(103, 180)] and folded.caught_up == 77
    assert not folded.stale and folded.position == 180


def test_a_worker_keeping_the_partition_reads_nothing_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folds = Folds(monkeypatch)
    folded = warmup.FoldedInputs(CoreProcessor(), "b:1", position=0, exactly_once=True)
    folded.catch_up(0)
    folded.at(0)
    folded.rebalanced()

    folded.catch_up(1)

    assert folds.ranges == []


def test_a_state_ahead_of_the_log_is_rebuilt_under_exactly_once_and_kept_at_least_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folds = Folds(monkeypatch)
    strict = warmup.FoldedInputs(CoreProcessor(), "b:1", position=50, exactly_once=True)
    lenient = warmup.FoldedInputs(CoreProcessor(), "b:1", position=50, exactly_once=False)
    before = lenient.processor.state
    strict.processor.state.seen_inputs.add("i-49")

    strict.catch_up(40)  # inputs 40..49 delivered again: their records were aborted
    lenient.catch_up(40)  # ... or published already (a repeated input derives nothing)

    assert folds.ranges == [(0, 40)]
    assert strict.processor.state.seen_inputs == set(), "rebuilt from the start of the log"
    assert lenient.processor.state is before
