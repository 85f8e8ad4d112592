"""The engine: deterministic derived events, rejections that change nothing, duplicates."""

from __future__ import annotations

import copy
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import catalog
from domain.interactions.journal import Note
from domain.interactions.messages import NoteAdded
from domain.kernel import rulebook
from domain.kernel.context import Context, Rejected, derive_id, require
from domain.kernel.engine import handle, handle_all
from domain.kernel.messages import Command, Event, utc
from domain.kernel.rulebook import Rulebook, handles, on_timer
from domain.kernel.state import CrmState
from domain.kernel.system import CommandRejected, TickClock
from domain.leads.messages import CaptureLead, LeadCaptured, LeadScored
from domain.rules_config import DEFAULT_RULES, BusinessRules


def capture(n: int, lead_id: str | None = None) -> CaptureLead:
    return CaptureLead(event_id=f"cmd-{n}", aggregate_id=lead_id or f"L{n}",
                       occurred_at=utc(2026, 3, 1, 9, n % 60), company_name=f"Firm {n}",
                       lead_source="website", industry="Energy", company_size="medium")


def test_capturing_a_lead_derives_captured_then_scored_with_versions_1_and_2() -> None:
    events = handle(CrmState(), capture(1), book=BOOK)
    assert [type(e) for e in events] == [LeadCaptured, LeadScored]
    assert [e.aggregate_version for e in events] == [1, 2]
    assert all(e.causation_id == "cmd-1" and e.occurred_at == utc(2026, 3, 1, 9, 1)
               for e in events)


def test_the_same_log_folded_twice_gives_identical_events() -> None:
    log = [capture(n) for n in range(50)]
    assert handle_all(CrmState(), log, book=BOOK) == handle_all(CrmState(), log, book=BOOK)


def test_a_duplicate_input_derives_nothing() -> None:
    state = CrmState()
    handle(state, capture(1), book=BOOK)
    assert handle(state, capture(1), book=BOOK) == []


def test_a_refused_command_yields_a_rejection_and_leaves_state_unchanged() -> None:
    state = CrmState()
    handle(state, capture(1), book=BOOK)
    before = copy.deepcopy(state.entities), dict(state.versions), dict(state.counters)
    events = handle(state, capture(2, lead_id="L1"), book=BOOK)
    assert len(events) == 1 and isinstance(events[0], CommandRejected)
    assert events[0].reason == "lead L1 already exists"
    assert events[0].command_id == "cmd-2"
    assert (state.entities, state.versions, dict(state.counters)) == before


def test_lead_numbers_follow_the_order_of_the_log() -> None:
    events = handle_all(CrmState(), [capture(n) for n in range(3)], book=BOOK)
    numbers = [e.lead_number for e in events if isinstance(e, LeadCaptured)]
    assert numbers == ["LEAD-000001", "LEAD-000002", "LEAD-000003"]


@given(st.lists(st.text(max_size=40), min_size=1, max_size=4))
def test_derived_ids_are_the_uuid5_of_the_joined_parts(parts: list[str]) -> None:
    from domain.kernel.context import _ID_NAMESPACE, derive_id

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


BOOK = Rulebook.collect([*catalog.AREAS, _refuse_probe, _probe_timer])
"""Every area's rules and the probes above (only this module's engine runs them)."""


def tick(n: int, hour: int) -> TickClock:
    return TickClock(event_id=f"tick-{n}", aggregate_id="clock",
                     occurred_at=utc(2026, 3, 1, hour))


def test_a_rejection_is_derived_from_the_refused_input_and_cut_to_500_characters() -> None:
    state = CrmState()
    [refused] = handle(state, probe(1, correlation_id="journey-7"), book=BOOK)
    assert isinstance(refused, CommandRejected)
    assert (refused.event_id, refused.causation_id, refused.correlation_id) == (
        derive_id("probe-1", "rejected"), "probe-1", "journey-7")
    assert (refused.command_id, refused.command_type, refused.reason) == (
        "probe-1", "Probe", "r" * 500)
    assert (refused.aggregate_id, refused.occurred_at) == ("P1", utc(2026, 3, 1, 9))
    assert state.get("note", "N-probe") is None  # what it emitted was rolled back
    [uncorrelated] = handle(state, probe(2), book=BOOK)
    assert uncorrelated.correlation_id == "probe-2"


def test_an_input_no_rule_accepts_is_rejected_by_name() -> None:
    [refused] = handle(CrmState(), probe(1, Unruled), book=BOOK)
    assert isinstance(refused, CommandRejected)
    assert (refused.reason, refused.command_type) == ("no rule accepts Unruled", "Unruled")


def test_handle_all_folds_with_the_rules_it_is_given() -> None:
    rules = replace(DEFAULT_RULES, leads=replace(DEFAULT_RULES.leads, industry_fit_points=0))
    default = [e.lead_score for e in handle_all(CrmState(), [capture(1)], book=BOOK)
               if isinstance(e, LeadScored)]
    tuned = [e.lead_score for e in handle_all(CrmState(), [capture(1)], rules, book=BOOK)
             if isinstance(e, LeadScored)]
    assert (default, tuned) == ([42], [27])


def test_due_timers_run_once_in_due_order_with_ids_scoped_to_each_timer() -> None:
    state = CrmState()
    state.push_timer(utc(2026, 3, 1, 10), "engine-test-probe", "B")
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "A")
    state.push_timer(utc(2026, 3, 1, 12), "engine-test-probe", "C")
    events = [e for e in handle(state, tick(1, 11), book=BOOK) if isinstance(e, NoteAdded)]
    assert [e.aggregate_id for e in events] == ["N-A", "N-B"]
    # Timer A was pushed second (seq 2): its scope is kind/aggregate/seq.
    assert events[0].event_id == derive_id("tick-1", "engine-test-probe/A/2", "0")
    assert events[1].event_id == derive_id("tick-1", "engine-test-probe/B/1", "0")
    assert state.clock == utc(2026, 3, 1, 11)


def test_every_event_a_command_derives_carries_the_commands_actor() -> None:
    state = CrmState()
    command = capture(1).model_copy(update={"actor": "asha.rao"})
    events = handle(state, command, book=BOOK)
    assert len(events) == 2 and {e.actor for e in events} == {"asha.rao"}
    [refused] = handle(state, capture(2, lead_id="L1").model_copy(update={"actor": "ravi"}),
                       book=BOOK)
    assert isinstance(refused, CommandRejected) and refused.actor == "ravi"
    assert {e.actor for e in handle(state, capture(3), book=BOOK)} == {None}  # none given


def test_a_timer_runs_as_the_actor_of_the_tick_that_fires_it() -> None:
    state = CrmState()
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "A")
    clock = tick(1, 10).model_copy(update={"actor": "system"})
    assert [(e.aggregate_id, e.actor) for e in handle(state, clock, book=BOOK)
            if isinstance(e, NoteAdded)] == [("N-A", "system")]


def test_a_repeated_or_late_tick_runs_no_timer_and_no_periodic_rule() -> None:
    runs: list[str] = []
    book = replace(BOOK, tick_rules=(lambda ctx: runs.append(ctx.cause.event_id),))
    state = CrmState()
    handle(state, tick(1, 11), book=book)
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "A")
    assert handle(state, tick(2, 11), book=book) == []  # same time again
    assert handle(state, tick(3, 10), book=book) == []  # earlier than the clock
    assert runs == ["tick-1"]
    assert [e.aggregate_id for e in handle(state, tick(4, 12), book=book)] == ["N-A"]
    assert runs == ["tick-1", "tick-4"]


def test_a_refused_timer_or_periodic_rule_derives_nothing_not_even_a_rejection() -> None:
    def refuse(ctx: Context) -> None:
        raise Rejected("a periodic rule found nothing to do")

    state = CrmState()
    state.push_timer(utc(2026, 3, 1, 9), "engine-test-probe", "refuse")
    assert handle(state, tick(1, 10), book=replace(BOOK, tick_rules=(refuse,))) == []
    assert state.get("note", "N-refused") is None


# -- domain.kernel: the rulebook and the Context the rules see ------------------------


class ProbeEvent(Event):
    """Test-only event of a test-only aggregate."""

    AGGREGATE = "probe"

    label: str = ""


def context(event_id: str = "in-1", correlation_id: str | None = None,
            scope: str | None = None, book: Rulebook = BOOK) -> Context:
    """A context for a test-only cause; without a scope, the Context's default one."""
    cause = Probe(event_id=event_id, aggregate_id="P1", occurred_at=utc(2026, 3, 1, 9),
                  correlation_id=correlation_id)
    if scope is None:
        return Context(CrmState(), cause, DEFAULT_RULES, book=book)
    return Context(CrmState(), cause, DEFAULT_RULES, scope, book=book)


def test_the_marks_return_the_function_and_the_rulebook_finds_it_by_type_name_or_kind(
) -> None:
    def decide(ctx: Context, cmd: Probe) -> None: ...
    def evolve(entity: object, event: ProbeEvent) -> str: return "evolved"
    def timer(ctx: Context, aggregate_id: str) -> None: ...
    def first(state: CrmState, event: ProbeEvent) -> None: ...
    def second(state: CrmState, event: ProbeEvent) -> None: ...
    def periodic(ctx: Context) -> None: ...

    assert handles(Probe, Unruled)(decide) is decide
    assert rulebook.evolves(ProbeEvent)(evolve) is evolve
    assert on_timer("probe-kind")(timer) is timer
    assert rulebook.indexes(ProbeEvent)(first) is first
    assert rulebook.indexes(ProbeEvent)(second) is second
    assert rulebook.on_tick(periodic) is periodic
    book = Rulebook.collect([periodic, decide, evolve, timer, first, second])
    assert (book.handler_for("Probe"), book.handler_for("Unruled")) == (decide, decide)
    assert book.handler_for("Nothing") is None
    assert book.timer_rule("probe-kind") is timer
    assert book.evolvers == {"ProbeEvent": evolve}
    assert book.indexers == {"ProbeEvent": (first, second)}
    assert book.tick_rules == (periodic,)
    assert Rulebook.collect([second, first]).indexers == {"ProbeEvent": (second, first)}


def test_marking_registers_nothing_a_rulebook_is_only_what_it_was_given() -> None:
    assert catalog.rulebook().handler_for("Probe") is None  # this module is not an area
    assert BOOK.handler_for("Probe") is _refuse_probe
    assert Rulebook().handler_for("CaptureLead") is None


def test_a_second_rule_for_one_name_is_an_error_not_an_override() -> None:
    def again(ctx: Context, cmd: Probe) -> None: ...

    with pytest.raises(ValueError, match="two handles rules for Probe"):
        Rulebook.collect([_refuse_probe, handles(Probe)(again)])


def test_a_module_contributes_the_rules_it_defines_in_definition_order() -> None:
    from domain.accounts import entities, health

    assert rulebook.marked_rules(entities)[0].__module__ == "domain.accounts.entities"
    assert all(fn.__module__ == "domain.accounts.health" for fn in rulebook.marked_rules(health))
    ticks = [(fn.__module__, fn.__name__) for fn in catalog.rulebook().tick_rules]
    assert ticks == [("domain.erp.master_data", "release_for_linked_accounts"),
                     ("domain.forecasts.calls", "forecast_tick"),
                     ("domain.accounts.health", "daily_health")]


def test_new_ids_and_numbers_derive_from_the_cause_and_the_sequence() -> None:
    ctx = context(scope="scope")
    assert ctx.new_id("ACC", "tag") == "ACC-db2f64e3-67d0-53d9"
    assert context().new_id("ACC") == "ACC-f764baa6-86db-58a3"  # the default scope is ""
    assert [ctx.next_number("OPP"), ctx.next_number("OPP"), ctx.next_number("Q", 3)] == [
        "OPP-000001", "OPP-000002", "Q-001"]
    assert [ctx.bump("cursor"), ctx.bump("cursor")] == [0, 1]
    assert ctx.state.counters == {"OPP": 2, "Q": 1, "cursor": 2}


def test_emit_versions_each_aggregate_and_keeps_the_causal_chain() -> None:
    ctx = context(correlation_id="journey-1")
    first = ctx.emit(ProbeEvent, "X", label="a")
    second = ctx.emit(ProbeEvent, "X", label="b", occurred_at=utc(2026, 2, 1))
    other = ctx.emit(ProbeEvent, "Y")
    assert [e.aggregate_version for e in (first, second, other)] == [1, 2, 1]
    assert [e.event_id for e in (first, second)] == [derive_id("in-1", "", "0"),
                                                     derive_id("in-1", "", "1")]
    assert (first.occurred_at, second.occurred_at) == (utc(2026, 3, 1, 9), utc(2026, 2, 1))
    assert (first.causation_id, first.correlation_id) == ("in-1", "journey-1")
    assert context("in-2").emit(ProbeEvent, "X").correlation_id == "in-2"
    assert ctx.events == [first, second, other]


def test_emit_evolves_the_entity_the_next_rule_reads() -> None:
    ctx = context()
    ctx.emit(NoteAdded, "N1", note_text="x")
    assert ctx.get("note", "N1") == Note("N1")
    assert ctx.state.versions[("note", "N1")] == 1


def test_rollback_restores_changed_values_and_drops_new_ones() -> None:
    ctx = context()
    ctx.state.counters["OPP"] = 5
    ctx.state.versions[("note", "N0")] = 3
    ctx.next_number("OPP")
    ctx.next_number("NEW")
    ctx.emit(NoteAdded, "N0", note_text="x")
    ctx.emit(NoteAdded, "N1", note_text="y")
    ctx.schedule(utc(2026, 3, 2), "probe-kind", "N1")
    ctx.rollback()
    assert ctx.state.counters == {"OPP": 5}
    assert ctx.state.versions == {("note", "N0"): 3}
    assert ctx.state.entities == {"note": {}}
    assert (ctx.events, ctx.commit(), ctx.state.timers) == ([], [], [])


def test_commit_runs_the_indexers_of_each_event_and_schedules_the_timers() -> None:
    seen: list[tuple[str, str]] = []
    book = Rulebook(indexers={
        "ProbeEvent": (lambda state, e: seen.append(("first", e.label)),
                       lambda state, e: seen.append(("second", e.label)))})
    ctx = context(book=book)
    ctx.emit(ProbeEvent, "X", label="a")
    ctx.emit(ProbeEvent, "X", label="b")
    ctx.schedule(utc(2026, 3, 5), "probe-kind", "X")
    ctx.schedule(utc(2026, 3, 4), "probe-kind", "Y")
    assert seen == []  # views change only when the command succeeded
    assert [e.label for e in ctx.commit()] == ["a", "b"]
    assert seen == [("first", "a"), ("second", "a"), ("first", "b"), ("second", "b")]
    assert [(t.due_at, t.kind, t.aggregate_id) for t in ctx.state.pop_due(utc(2026, 3, 9))] \
        == [(utc(2026, 3, 4), "probe-kind", "Y"), (utc(2026, 3, 5), "probe-kind", "X")]


def test_a_rejection_keeps_its_reason() -> None:
    refusal = Rejected("quota exceeded")
    assert (refusal.reason, str(refusal)) == ("quota exceeded", "quota exceeded")


# -- domain.rules_config: settings from a mapping (crm's rules file) ------------------


def test_rule_settings_from_a_mapping_keep_decimals_exact_and_the_rest_default() -> None:
    rules = BusinessRules.from_mapping({"quotes": {"tax_pct": 12.5, "valid_days": 45}})
    assert (rules.quotes.tax_pct, rules.quotes.valid_days) == (Decimal("12.5"), 45)
    assert rules.leads == DEFAULT_RULES.leads


def test_an_unknown_rule_setting_is_refused_by_name_and_section() -> None:
    with pytest.raises(KeyError) as unknown:
        BusinessRules.from_mapping({"quotes": {"tax_percent": 12}})
    assert unknown.value.args == ("unknown rule setting 'tax_percent' in QuoteRules",)


def test_require_returns_the_entity_or_refuses_naming_the_aggregate_and_id() -> None:
    ctx = context()
    ctx.emit(NoteAdded, "N1", note_text="x")
    assert require(ctx, "note", "N1") == Note("N1")
    with pytest.raises(Rejected, match="^sales rep R9 does not exist$"):
        require(ctx, "sales_rep", "R9")
    with pytest.raises(Rejected, match="^unknown quotation Q1$"):
        require(ctx, "quote", "Q1", "unknown quotation {id}")
    with pytest.raises(Rejected, match="^unknown opportunity None$"):
        require(ctx, "opportunity", None, "unknown {aggregate} {id}")
