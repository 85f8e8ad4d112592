"""The simulation kernel's pending actions: cancelling planned ones (`Kernel.cancel`)."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta

from domain.kernel.messages import utc
from simulators.kernel import Kernel

START = utc(2025, 8, 4)


def drain(kernel: Kernel, until: datetime) -> list[tuple[str, str, tuple[object, ...]]]:
    popped = []
    while (action := kernel.pop_due(until)) is not None:
        popped.append(action[2:])
    return popped


def planned() -> Kernel:
    kernel = Kernel(7, START, 1.0)
    hour = timedelta(hours=1)
    kernel.schedule(START + 3 * hour, "sales", "advance", "OPP-1")
    kernel.schedule(START + hour, "sales", "advance", "OPP-2")
    kernel.schedule(START + 2 * hour, "sales", "advance", "OPP-1")
    kernel.schedule(START + 2 * hour, "erp", "reply", {"unhashable": "arguments"})
    kernel.schedule(START + 4 * hour, "sales", "send_quote", "OPP-1")
    kernel.cancel("sales", "advance", "OPP-1")
    kernel.schedule(START + 5 * hour, "sales", "advance", "OPP-1")  # planned after: kept
    return kernel


def test_a_cancelled_action_is_dropped_but_one_planned_after_the_cancel_still_runs() -> None:
    assert drain(planned(), START + timedelta(days=1)) == [
        ("sales", "advance", ("OPP-2",)), ("erp", "reply", ({"unhashable": "arguments"},)),
        ("sales", "send_quote", ("OPP-1",)), ("sales", "advance", ("OPP-1",))]


def test_nothing_cancelled_is_popped_even_before_its_due_time_is_reached() -> None:
    kernel = planned()
    assert drain(kernel, START + timedelta(hours=2)) == [
        ("sales", "advance", ("OPP-2",)), ("erp", "reply", ({"unhashable": "arguments"},))]
    assert sorted(a[2:] for a in kernel.heap) == [("sales", "advance", ("OPP-1",)),
                                                  ("sales", "send_quote", ("OPP-1",))]


def test_a_pickled_kernel_keeps_its_cancellations_and_an_older_pickle_has_none() -> None:
    copy = pickle.loads(pickle.dumps(planned()))
    assert drain(copy, START + timedelta(days=1)) == drain(planned(), START + timedelta(days=1))
    old = Kernel(7, START, 1.0)
    state = dict(old.__dict__)
    del state["cancelled"]  # what a checkpoint pickled before `cancel` holds
    revived = Kernel.__new__(Kernel)
    revived.__setstate__(state)
    assert revived.cancelled == {} and revived.pop_due(START) is None
