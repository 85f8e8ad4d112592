"""Account health: the pure score, its bands, and the once-a-day recomputation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from area_c_fixtures import T0, World, of_type

from domain.cases import OpenCase, ResolveCase
from domain.health import AccountHealthScored, HealthInputs, churn_risk_for, score_health
from domain.interactions import RecordInteraction
from domain.messages import utc
from domain.rules_config import AccountRules

RULES = AccountRules()
TODAY = date(2026, 6, 1)


@pytest.mark.parametrize(("score", "risk"), [
    (100, "low"), (60, "low"), (59, "medium"), (40, "medium"), (39, "high"), (0, "high"),
])
def test_churn_risk_bands_are_inclusive_at_their_lower_bound(score: int, risk: str) -> None:
    assert churn_risk_for(score, RULES) == risk


def test_an_account_without_inputs_scores_the_base() -> None:
    assert score_health(HealthInputs(), TODAY, RULES)[:2] == (70, "low")


def test_the_score_adds_the_points_of_every_input() -> None:
    inputs = HealthInputs(open_cases=frozenset({"C1", "C2"}), breaches=(TODAY,),
                          sentiments=((TODAY, "negative"), (TODAY, "positive")),
                          last_purchase=TODAY)
    score, risk, reason = score_health(inputs, TODAY, RULES)
    assert score == 70 + 15 - 6 - 8 - 5 + 2
    assert risk == "low"
    assert reason == "base=70 revenue=15 open_cases=-6 sla_breaches=-8 negative=-5 positive=2"


def test_facts_count_for_their_window_inclusive_and_not_a_day_longer() -> None:
    old = TODAY - timedelta(days=90)
    inputs = HealthInputs(breaches=(old,), sentiments=((old, "negative"),), last_purchase=old)
    assert score_health(inputs, TODAY, RULES)[0] == 70 + 15 - 8 - 5
    assert score_health(inputs, TODAY + timedelta(days=1), RULES)[0] == 70


def test_the_positive_bonus_is_capped_and_the_score_stays_within_0_100() -> None:
    cheerful = HealthInputs(sentiments=tuple((TODAY, "positive") for _ in range(50)),
                            last_purchase=TODAY)
    assert score_health(cheerful, TODAY, RULES)[0] == 70 + 15 + 10
    assert score_health(cheerful, TODAY, replace(RULES, base_health=100))[0] == 100
    awful = HealthInputs(breaches=tuple(TODAY for _ in range(20)))
    assert score_health(awful, TODAY, RULES)[:2] == (0, "high")


def scored(events: list) -> list[tuple[str, int, str, str | None]]:
    return [(e.aggregate_id, e.health_score, e.churn_risk, e.relationship_status)
            for e in of_type(events, AccountHealthScored)]


def test_a_new_account_is_scored_on_the_first_tick_of_the_day() -> None:
    w = World().account("A1")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 70, "low", None)]


def test_scores_are_recomputed_at_most_once_a_day_on_the_first_tick() -> None:
    w = World().account("A1")
    w.tick(T0 + timedelta(minutes=30))
    w.later(minutes=10).send(OpenCase, "C1", account_id="A1", subject="s", description="d",
                             priority="low")
    assert scored(w.tick(T0 + timedelta(hours=1))) == []
    assert scored(w.tick(utc(2026, 3, 2, 23, 30))) == []
    assert scored(w.tick(utc(2026, 3, 3, 0, 0))) == [("A1", 67, "low", None)]
    assert scored(w.tick(utc(2026, 3, 3, 0, 30))) == []


def test_no_event_when_the_score_and_risk_did_not_change() -> None:
    w = World().account("A1")
    w.tick(T0 + timedelta(minutes=30))
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    w.send(ResolveCase, "C1", resolution="done")
    assert scored(w.tick(utc(2026, 3, 3, 0, 0))) == []


def test_high_churn_risk_marks_the_account_at_risk_until_it_recovers() -> None:
    w = World().account("A1")
    for n in range(7):  # 70 - 7 * 5 = 35: high risk
        w.send(RecordInteraction, f"I{n}", account_id="A1", interaction_type="call",
               sentiment="negative")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 35, "high", "at_risk")]
    recovered = T0.date() + timedelta(days=91)  # the complaints leave the 90-day window
    assert scored(w.tick(utc(2026, 3, 2) + timedelta(days=90, hours=23))) == []
    assert scored(w.tick(utc(recovered.year, recovered.month, recovered.day))) == [
        ("A1", 70, "low", "prospect")]


def test_revenue_recency_expires_without_any_new_input() -> None:
    w = World().account("A1")
    w.revenue("A1", "100000.00", T0.date())
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 85, "low", None)]
    assert scored(w.tick(utc(2026, 5, 31))) == []  # 90 days after 2026-03-02
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 70, "low", None)]


def test_sla_breaches_lower_the_health_of_the_case_account() -> None:
    w = World().account("A1").account("A2")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    w.tick(T0 + timedelta(minutes=30))
    w.tick(T0 + timedelta(hours=8, minutes=30))  # response and resolution breaches
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 70 - 3 - 16, "medium", None)]


def test_a_duplicate_input_event_is_counted_once() -> None:
    w = World().account("A1")
    complaint = w.message(RecordInteraction, "I1", account_id="A1", interaction_type="email",
                          sentiment="negative")
    w.fold(complaint)
    w.fold(complaint)
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 65, "low", None)]


def test_inputs_for_an_unknown_account_score_nothing() -> None:
    w = World()
    w.send(RecordInteraction, "I1", account_id="ghost", interaction_type="email",
           sentiment="negative")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == []
