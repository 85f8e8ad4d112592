"""The fault tests' own ground rules (server-free): what history they replay, and that a
smaller or different one is never used silently."""

from __future__ import annotations

import importlib.util

import faults_support
import pytest
from faults_support import history_description, simulation_choice


@pytest.fixture
def no_overrides(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("CRM_FAULT_SIMULATION", "CRM_FAULT_DAYS", "CRM_FAULT_SCALE"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_fault_history_is_14_days_of_the_business_simulation_at_scale_0_2(
        no_overrides: pytest.MonkeyPatch) -> None:
    assert simulation_choice() == ("business", 14, 0.2)
    assert history_description() == "business simulation, 14 days at scale 0.2, seed 11"


def test_without_the_business_simulation_the_fault_tests_fail_instead_of_shrinking(
        no_overrides: pytest.MonkeyPatch) -> None:
    real = importlib.util.find_spec
    no_overrides.setattr(faults_support.importlib.util, "find_spec",
                         lambda name, *a: None if name == "simulators.business"
                         else real(name, *a))
    with pytest.raises(RuntimeError, match="do not fall back to the lead-only"):
        simulation_choice()


def test_an_overridden_history_is_announced_with_the_scale_used(
        no_overrides: pytest.MonkeyPatch) -> None:
    no_overrides.setenv("CRM_FAULT_DAYS", "3")
    no_overrides.setenv("CRM_FAULT_SCALE", "0.05")
    assert simulation_choice() == ("business", 3, 0.05)
    assert history_description() == (
        "business simulation, 3 days at scale 0.05, seed 11 (overridden by "
        "CRM_FAULT_DAYS=3, CRM_FAULT_SCALE=0.05; default: business, 14 days, scale 0.2)")
