"""The lead scoring rule: pure, with its boundaries (and recency through the handler)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from scenario import MINUTE, Scenario, of_type

from domain.kernel.messages import utc
from domain.leads.entities import Lead
from domain.leads.messages import LeadScored
from domain.leads.scoring import grade_for, score_lead
from domain.rules_config import LeadRules

RULES = LeadRules()
NOW = utc(2026, 6, 1)


def a_lead(**changes: object) -> Lead:
    base = Lead("L1", "LEAD-000001", "Acme", "referral", "Automotive", "large", NOW)
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(("score", "grade"), [
    (100, "A"), (80, "A"), (79, "B"), (60, "B"), (59, "C"), (40, "C"), (39, "D"), (0, "D"),
])
def test_grade_boundaries_are_inclusive_at_each_threshold(score: int, grade: str) -> None:
    assert grade_for(score, RULES) == grade


def test_score_adds_the_points_of_every_rule() -> None:
    lead = a_lead(bant=(True, True, False, False), activities=2)
    score, grade, reason = score_lead(lead, RULES, NOW)
    assert score == 20 + 12 + 15 + 16 + 6 + 6
    assert grade == "B"
    assert reason == "source=20 size=12 industry=15 bant=16 engagement=6 recency=6"


def test_engagement_points_are_capped() -> None:
    few = score_lead(a_lead(activities=4), RULES, NOW)[0]
    many = score_lead(a_lead(activities=40), RULES, NOW)[0]
    assert few == many


def test_recency_points_end_after_the_configured_days() -> None:
    fresh = score_lead(a_lead(), RULES, NOW + timedelta(days=RULES.recency_days))[0]
    stale = score_lead(a_lead(), RULES, NOW + timedelta(days=RULES.recency_days, seconds=1))[0]
    assert fresh - stale == RULES.recency_points


def test_recency_counts_from_the_last_contact_not_from_capture() -> None:
    captured_long_ago = NOW - timedelta(days=60)
    contacted = a_lead(captured_at=captured_long_ago, last_contact_at=NOW - timedelta(days=2))
    silent = a_lead(captured_at=captured_long_ago)
    assert score_lead(contacted, RULES, NOW)[2].endswith("recency=6")
    assert score_lead(silent, RULES, NOW)[2].endswith("recency=0")


def test_a_fresh_capture_does_not_make_an_old_last_contact_recent() -> None:
    # when there is a last contact, it is the date that counts (not the later of the two)
    lead = a_lead(captured_at=NOW - timedelta(days=1), last_contact_at=NOW - timedelta(days=20))
    assert score_lead(lead, RULES, NOW)[2].endswith("recency=0")


def test_an_activity_after_weeks_of_silence_earns_the_recency_points_back() -> None:
    w = Scenario(step=MINUTE)
    bare = replace(RULES, source_points={"website": 30})
    w.rules = replace(w.rules, leads=bare)
    w.lead("L1", company_size=None, industry="Circus")
    w.now += timedelta(days=30)
    (scored,) = of_type(w.activity("L1"), LeadScored)
    assert scored.score_reason == "source=30 size=0 industry=0 bant=0 engagement=3 recency=6"


def test_unknown_source_and_industry_score_nothing_for_those_rules() -> None:
    lead = a_lead(lead_source="carrier_pigeon", industry="Circus", company_size=None)
    score, grade, _ = score_lead(lead, RULES, NOW)
    assert score == RULES.recency_points
    assert grade == "D"


def test_score_never_exceeds_100_even_with_generous_rules() -> None:
    rules = replace(RULES, industry_fit_points=90)
    lead = a_lead(bant=(True, True, True, True), activities=10)
    assert score_lead(lead, rules, NOW)[0] == 100
