"""The engine: deterministic derived events, rejections that change nothing, duplicates."""

from __future__ import annotations

import copy
import uuid

from hypothesis import given
from hypothesis import strategies as st

from domain.engine import handle, handle_all
from domain.leads import CaptureLead, LeadCaptured, LeadScored
from domain.messages import utc
from domain.state import CrmState
from domain.system import CommandRejected


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
