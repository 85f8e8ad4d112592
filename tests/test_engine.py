"""The engine: deterministic derived events, rejections that change nothing, duplicates."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import domain.catalog  # noqa: F401  (registers every rule)
from domain import core
from domain.core import Context, Rejected, derive_id, handles, on_timer
from domain.engine import handle, handle_all
from domain.interactions import NoteAdded
from domain.leads import CaptureLead, LeadCaptured, LeadScored
from domain.messages import Command, utc
from domain.rules_config import DEFAULT_RULES
from domain.state import CrmState
from domain.system import CommandRejected, TickClock


def capture(n: int, lead_id: str | None = None) -> CaptureLead:
    return CaptureLead(event_id=f"cmd-{n}", aggregate_id=lead_id or f"L{n}",
                       occurred_at=utc(2026, 3, 1, 9, n % 60), company_name=f"Firm {n}",
                       lead_source="website", industry="Energy", company_size="medium")


def test_capturing_a_lead_derives_captured_then_scored_with_versions_1_and_2() -> None:
    events = handle(CrmState(), capture(1))
    assert [type(e) for e in events] == [LeadCaptured, LeadScored]
    assert [e.aggregate_version for e in events] == [1, 2]
    assert all(e.causation_id == "cmd-1" and e.occurred_at == utc(2026, 3, 1, 9, 1)
               for e in events)


def test_the_same_log_folded_twice_gives_identical_events() -> None:
    log = [capture(n) for n in range(50)]
    assert handle_all(CrmState(), log) == handle_all(CrmState(), log)


def test_a_duplicate_input_derives_nothing() -> None:
    state = CrmState()
    handle(state, capture(1))
    assert handle(state, capture(1)) == []


def test_a_refused_command_yields_a_rejection_and_leaves_state_unchanged() -> None:
    state = CrmState()
    handle(state, capture(1))
    before = copy.deepcopy(state.entities), dict(state.versions), dict(state.counters)
    events = handle(state, capture(2, lead_id="L1"))
    assert len(events) == 1 and isinstance(events[0], CommandRejected)
    assert events[0].reason == "lead L1 already exists"
    assert events[0].command_id == "cmd-2"
    assert (state.entities, state.versions, dict(state.counters)) == before


def test_lead_numbers_follow_the_order_of_the_log() -> None:
    events = handle_all(CrmState(), [capture(n) for n in range(3)])
    numbers = [e.lead_number for e in events if isinstance(e, LeadCaptured)]
    assert numbers == ["LEAD-000001", "LEAD-000002", "LEAD-000003"]


@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_derived_ids_are_the_uuid5_of_the_joined_parts(parts: list[str]) -> None:
    from domain.core import _ID_NAMESPACE, derive_id

    assert derive_id(*parts) == str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


# -- pinned by mutation testing (docs/testing.md): each test kills mutants that survived ----
# A test-only command and timer kind probe the engine itself (no business rule has them).


class Probe(Command):
    """Test-only input; its rule refuses with a very long reason."""

    AGGREGATE = "probe"


class Unruled(Command):
    """Test-only input no rule accepts."""

    AGGREGATE = "probe"


@handles(Probe)
def _refuse_probe(ctx: Context, cmd: Probe) -> None:
    ctx.emit(NoteAdded, "N-probe", note_text="emitted before the refusal")
    raise Rejected("r" * 600)


@on_timer("engine-test-probe")
def _probe_timer(ctx: Context, aggregate_id: str) -> None:
    if aggregate_id == "refuse":
        ctx.emit(NoteAdded, "N-refused", note_text="rolled back")
        raise Rejected("a refused timer derives nothing")
    ctx.emit(NoteAdded, f"N-{aggregate_id}", note_text=aggregate_id)


def probe(n: int, cls: type[Command] = Probe, **fields: object) -> Command:
    return cls(event_id=f"probe-{n}", aggregate_id="P1", occurred_at=utc(2026, 3, 1, 9),
               **fields)


def tick(n: int, hour: int) -> TickClock:
    return TickClock(event_id=f"tick-{n}", aggregate_id="clock",
                     occurred_at=utc(2026, 3, 1, hour))


def test_a_rejection_is_derived_from_the_refused_input_and_cut_to_500_characters() -> None:
    state = CrmState()
    [refused] = handle(state, probe(1, correlation_id="journey-7"))
    assert isinstance(refused, CommandRejected)
    assert (refused.event_id, refused.causation_id, refused.correlation_id) == (
        derive_id("probe-1", "rejected"), "probe-1", "journey-7")
    assert (refused.command_id, refused.command_type, refused.reason) == (
        "probe-1", "Probe", "r" * 500)
    assert (refused.aggregate_id, refused.occurred_at) == ("P1", utc(2026, 3, 1, 9))
    assert state.get("note", "N-probe") is None  # what it emitted was rolled back
    [uncorrelated] = handle(state, probe(2))
    assert uncorrelated.correlation_id == "probe-2"


def test_an_input_no_rule_accepts_is_rejected_by_name() -> None:
    [refused] = handle(CrmState(), probe(1, Unruled))
    assert isinstance(refused, CommandRejected)
    assert (refused.reason, refused.command_type) == ("no rule accepts Unruled", "Unruled")


def test_handle_all_folds_with_the_rules_it_is_given() -> None:
    rules = replace(DEFAULT_RULES, leads=replace(DEFAULT_RULES.leads, industry_fit_points=0))
    default = [e.lead_score for e in handle_all(CrmState(), [capture(1)])
               if isinstance(e, LeadScored)]
    tuned = [e.lead_score for e in handle_all(CrmState(), [capture(1)], rules)
             if isinstance(e, LeadScored)]
    assert (default, tuned) == ([42], [27])


def test_due_timers_run_once_in_due_order_with_ids_scoped_to_each_timer() -> None:
    state = CrmState()
    state.push_timer(utc(2026, 3, 1, 10), "engine-test-probe", "B")
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "A")
    state.push_timer(utc(2026, 3, 1, 12), "engine-test-probe", "C")
    events = [e for e in handle(state, tick(1, 11)) if isinstance(e, NoteAdded)]
    assert [e.aggregate_id for e in events] == ["N-A", "N-B"]
    # Timer A was pushed second (seq 2): its scope is kind/aggregate/seq.
    assert events[0].event_id == derive_id("tick-1", "engine-test-probe/A/2", "0")
    assert events[1].event_id == derive_id("tick-1", "engine-test-probe/B/1", "0")
    assert state.clock == utc(2026, 3, 1, 11)


def test_a_repeated_or_late_tick_runs_no_timer_and_no_periodic_rule(
        monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    monkeypatch.setattr(core, "_TICK_RULES", [lambda ctx: runs.append(ctx.cause.event_id)])
    state = CrmState()
    handle(state, tick(1, 11))
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "A")
    assert handle(state, tick(2, 11)) == []  # same time again
    assert handle(state, tick(3, 10)) == []  # earlier than the clock
    assert runs == ["tick-1"]
    assert [e.aggregate_id for e in handle(state, tick(4, 12))] == ["N-A"]
    assert runs == ["tick-1", "tick-4"]


def test_a_refused_timer_or_periodic_rule_derives_nothing_not_even_a_rejection(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(ctx: Context) -> None:
        raise Rejected("a periodic rule found nothing to do")

    monkeypatch.setattr(core, "_TICK_RULES", [refuse])
    state = CrmState()
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "refuse")
    assert handle(state, tick(1, 10)) == []
    assert state.get("note", "N-refused") is None
