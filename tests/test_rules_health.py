"""Account health: the pure score, its bands, the status it must agree with, the
normalisation for account size, and the once-a-day recomputation."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from scenario import T0, Scenario, of_type

from domain.accounts.health import _next_expiry, churn_risk_for, score_health
from domain.accounts.health_inputs import HealthInputs, _breach
from domain.accounts.messages import (
    AccountHealthScored,
    ChangeAccountRelationship,
    OpenAccount,
    UpdateAccount,
)
from domain.cases.messages import CaseSlaViolated, OpenCase, ResolveCase
from domain.interactions.messages import RecordInteraction
from domain.kernel.messages import utc
from domain.rules_config import AccountRules

RULES = AccountRules()
TODAY = date(2026, 6, 1)
ACTIVE = "active"


def customer(w: Scenario, account_id: str = "A1", tier: str | None = None) -> Scenario:
    """An account created as a customer (relationship active), optionally with a tier."""
    w.send(OpenAccount, account_id, account_name=f"Company {account_id}",
           account_type="customer", account_tier=tier)
    return w


@pytest.mark.parametrize(("score", "risk"), [
    (100, "low"), (60, "low"), (59, "medium"), (40, "medium"), (39, "high"), (0, "high"),
])
def test_churn_risk_bands_are_inclusive_at_their_lower_bound(score: int, risk: str) -> None:
    assert churn_risk_for(score, RULES) == risk


def test_an_account_without_inputs_scores_the_base() -> None:
    assert score_health(HealthInputs(row_status=ACTIVE), TODAY, RULES)[:2] == (70, "low")


def test_the_score_adds_the_points_of_every_input() -> None:
    inputs = HealthInputs(open_cases=frozenset({"C1", "C2"}), breaches=((TODAY, "C1"),),
                          sentiments=((TODAY, "negative"), (TODAY, "positive")),
                          last_purchase=TODAY, row_status=ACTIVE)
    score, risk, reason = score_health(inputs, TODAY, RULES)
    assert score == 70 + 15 - 6 - 8 - 5 + 2
    assert risk == "low"
    assert reason == "base=70 revenue=15 open_cases=-6 sla_breaches=-8 negative=-5 positive=2"


def test_facts_count_for_their_window_inclusive_and_not_a_day_longer() -> None:
    old = TODAY - timedelta(days=90)
    inputs = HealthInputs(breaches=((old, "C1"),), sentiments=((old, "negative"),),
                          last_purchase=old)
    assert score_health(inputs, TODAY, RULES)[0] == 70 + 15 - 8 - 5
    assert score_health(inputs, TODAY + timedelta(days=1), RULES)[0] == 70


def test_the_positive_bonus_is_capped_and_the_score_stays_within_0_100() -> None:
    cheerful = HealthInputs(sentiments=tuple((TODAY, "positive") for _ in range(50)),
                            last_purchase=TODAY)
    assert score_health(cheerful, TODAY, RULES)[0] == 70 + 15 + 10
    assert score_health(cheerful, TODAY, replace(RULES, base_health=100))[0] == 100
    awful = HealthInputs(breaches=tuple((TODAY, f"C{n}") for n in range(20)))
    assert score_health(awful, TODAY, RULES)[:2] == (0, "high")


def scored(events: list) -> list[tuple[str, int, str, str | None]]:
    return [(e.aggregate_id, e.health_score, e.churn_risk, e.relationship_status)
            for e in of_type(events, AccountHealthScored)]


def test_a_new_customer_is_scored_on_the_first_tick_of_the_day() -> None:
    w = customer(Scenario())
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 70, "low", None)]


def test_scores_are_recomputed_at_most_once_a_day_on_the_first_tick() -> None:
    w = customer(Scenario())
    w.tick(T0 + timedelta(minutes=30))
    w.later(minutes=10).send(OpenCase, "C1", account_id="A1", subject="s", description="d",
                             priority="low")
    assert scored(w.tick(T0 + timedelta(hours=1))) == []
    assert scored(w.tick(utc(2026, 3, 2, 23, 30))) == []
    assert scored(w.tick(utc(2026, 3, 3, 0, 0))) == [("A1", 67, "low", None)]
    assert scored(w.tick(utc(2026, 3, 3, 0, 30))) == []


def test_no_event_when_the_score_and_risk_did_not_change() -> None:
    w = customer(Scenario())
    w.tick(T0 + timedelta(minutes=30))
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    w.send(ResolveCase, "C1", resolution="done")
    assert scored(w.tick(utc(2026, 3, 3, 0, 0))) == []


def test_high_churn_risk_marks_the_account_at_risk_until_it_recovers() -> None:
    w = customer(Scenario())
    for n in range(7):  # 70 - 7 * 5 = 35: high risk
        w.send(RecordInteraction, f"I{n}", account_id="A1", interaction_type="call",
               sentiment="negative")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 35, "high", "at_risk")]
    recovered = T0.date() + timedelta(days=91)  # the complaints leave the 90-day window
    assert scored(w.tick(utc(2026, 3, 2) + timedelta(days=90, hours=23))) == []
    assert scored(w.tick(utc(recovered.year, recovered.month, recovered.day))) == [
        ("A1", 70, "low", "active")]


def test_revenue_recency_expires_without_any_new_input() -> None:
    w = Scenario().account("A1")  # a prospect: its first order makes it a customer
    w.revenue("A1", "100000.00", T0.date())
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 85, "low", None)]
    assert scored(w.tick(utc(2026, 5, 31))) == []  # 90 days after 2026-03-02
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 70, "low", None)]


def test_sla_breaches_lower_the_health_of_the_case_account_once_per_case() -> None:
    w = customer(customer(Scenario()), "A2")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    w.tick(T0 + timedelta(minutes=30))
    breaches = of_type(w.tick(T0 + timedelta(hours=8, minutes=30)), CaseSlaViolated)
    assert [b.breach for b in breaches] == ["response", "resolution"]
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 70 - 3 - 8, "medium", None)]


def test_a_case_breaching_twice_is_one_breach_that_counts_from_its_latest_day() -> None:
    w = customer(Scenario())
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="low")
    w.tick(T0 + timedelta(minutes=30))
    w.tick(utc(2026, 3, 3, 9, 30))  # response breach (24 h) on 3 March
    w.tick(utc(2026, 3, 7, 9, 30))  # resolution breach (120 h) on 7 March
    inputs = w.state.view("health_inputs")["A1"]
    assert inputs.breaches == ((date(2026, 3, 7), "C1"),)


def test_a_repeated_breach_event_of_a_case_is_not_counted_again() -> None:
    w = customer(Scenario())
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    w.tick(T0 + timedelta(hours=8, minutes=30))
    w.tick(utc(2026, 3, 3))
    violated = of_type(w.events, CaseSlaViolated)[0]
    # Another SLA rule (or a bug there) reports the same case breached again later that day.
    again = violated.model_copy(update={"event_id": "again", "breach": "resolution"})
    _breach(w.state, again)
    assert w.state.view("health_inputs")["A1"].breaches == ((date(2026, 3, 2), "C1"),)
    assert scored(w.tick(utc(2026, 3, 4))) == []


def test_sla_breaches_ageing_out_of_their_window_trigger_a_rescore() -> None:
    w = customer(Scenario())
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    w.tick(T0 + timedelta(hours=8, minutes=30))  # both breaches on 2 March
    w.send(ResolveCase, "C1", resolution="done")
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 62, "low", None)]
    assert scored(w.tick(utc(2026, 5, 31, 23, 30))) == []  # 2 March + 90 days: still counts
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 70, "low", None)]


def test_a_duplicate_input_event_is_counted_once() -> None:
    w = customer(Scenario())
    complaint = w.message(RecordInteraction, "I1", account_id="A1", interaction_type="email",
                          sentiment="negative")
    w.fold(complaint)
    w.fold(complaint)
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 65, "low", None)]


def test_inputs_for_an_unknown_account_score_nothing() -> None:
    w = Scenario()
    w.send(RecordInteraction, "I1", account_id="ghost", interaction_type="email",
           sentiment="negative")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == []


def complaints(w: Scenario, account_id: str, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        w.send(RecordInteraction, f"{account_id}-I{i}", account_id=account_id,
               interaction_type="call", sentiment="negative")


def test_prospects_are_not_scored_until_their_first_order_makes_them_customers() -> None:
    w = Scenario().account("A1")
    complaints(w, "A1", 2)
    assert scored(w.tick(T0 + timedelta(minutes=30))) == []
    w.later(hours=1).revenue("A1", "250000.00", T0.date())
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 70 + 15 - 10, "low", None)]


def test_a_churned_account_scores_zero_with_high_risk_and_keeps_its_status() -> None:
    w = customer(Scenario())
    w.revenue("A1", "250000.00", T0.date())
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 85, "low", None)]
    w.later(hours=2).send(ChangeAccountRelationship, "A1", relationship_status="churned")
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 0, "high", None)]
    scored_event = of_type(w.events, AccountHealthScored)[-1]
    assert scored_event.score_reason == "status=churned"


def test_an_inactive_customer_is_at_least_medium_risk_and_high_risk_keeps_it_inactive() -> None:
    w = customer(Scenario())
    w.revenue("A1", "250000.00", T0.date())
    w.send(ChangeAccountRelationship, "A1", relationship_status="inactive")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 59, "medium", None)]
    complaints(w, "A1", 8)  # 85 - 40 = 45, capped 45: not high yet
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 45, "medium", None)]
    complaints(w, "A1", 3, first=8)  # 85 - 55 = 30: high, and still inactive
    assert scored(w.tick(utc(2026, 3, 4))) == [("A1", 30, "high", None)]
    assert w.state.view("health_inputs")["A1"].row_status == "inactive"


def test_high_risk_never_overwrites_a_churned_status() -> None:
    w = customer(Scenario())
    w.send(ChangeAccountRelationship, "A1", relationship_status="churned")
    complaints(w, "A1", 10)
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 0, "high", None)]


def test_a_customer_a_person_marked_at_risk_is_high_risk_until_a_person_clears_it() -> None:
    w = customer(Scenario())
    w.send(ChangeAccountRelationship, "A1", relationship_status="at_risk")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 39, "high", None)]
    w.later(days=1).send(ChangeAccountRelationship, "A1", relationship_status="active")
    assert scored(w.tick(utc(2026, 3, 4))) == [("A1", 70, "low", None)]


@pytest.mark.parametrize(("tier", "score"), [
    ("standard", 70 - 15), ("key", 70 - 6), ("strategic", 70 - 3), (None, 70 - 15)])
def test_open_cases_are_weighed_by_the_tier_so_big_accounts_are_not_punished(
        tier: str | None, score: int) -> None:
    w = customer(Scenario(), tier=tier)
    for n in range(5):
        w.send(OpenCase, f"C{n}", account_id="A1", subject="s", description="d",
               priority="low")
    assert scored(w.tick(T0 + timedelta(minutes=30)))[0][1] == score


def test_a_tier_change_rescores_the_account() -> None:
    w = customer(Scenario(), tier="standard")
    for n in range(5):
        w.send(OpenCase, f"C{n}", account_id="A1", subject="s", description="d",
               priority="low")
    w.tick(T0 + timedelta(minutes=30))
    w.later(hours=1).send(UpdateAccount, "A1", account_tier="strategic")
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 67, "low", None)]


def test_counted_penalties_round_half_up_after_weighing() -> None:
    inputs = HealthInputs(open_cases=frozenset({"C1"}), breaches=((TODAY, "C1"),),
                          sentiments=((TODAY, "negative"),) * 3, row_status=ACTIVE,
                          tier="key")
    # 3/2.5 = 1.2 -> 1; 8/2.5 = 3.2 -> 3; 15/2.5 = 6
    assert score_health(inputs, TODAY, RULES)[2] == (
        "base=70 revenue=0 open_cases=-1 sla_breaches=-3 negative=-6 positive=0")
    assert score_health(replace(inputs, tier="strategic"), TODAY, RULES)[2].endswith(
        "open_cases=-1 sla_breaches=-2 negative=-3 positive=0")  # 0.6 -> 1, 1.6 -> 2


def test_a_high_risk_account_set_active_again_is_re_marked_at_risk_at_an_unchanged_score() -> None:
    w = customer(Scenario())
    w.revenue("A1", "250000.00", T0.date())
    complaints(w, "A1", 11)  # 85 - 55 = 30
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 30, "high", "at_risk")]
    w.later(hours=3).revenue("A1", "1000.00", T0.date())  # the row says 'active' again
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 30, "high", "at_risk")]
    assert scored(w.tick(utc(2026, 3, 4))) == []


def test_a_half_point_after_weighing_rounds_up() -> None:
    rules = replace(RULES, activity_weight_by_tier={"key": Decimal("2")})
    inputs = HealthInputs(open_cases=frozenset({"C1"}), sentiments=((TODAY, "negative"),),
                          row_status=ACTIVE, tier="key")
    assert score_health(inputs, TODAY, rules)[2] == (  # 3/2 = 1.5 -> 2, 5/2 = 2.5 -> 3
        "base=70 revenue=0 open_cases=-2 sla_breaches=0 negative=-3 positive=0")


# -- pinned by mutation testing (issue 21) ---------------------------------------------


def test_a_score_equal_to_the_status_cap_is_not_reported_as_capped() -> None:
    inputs = HealthInputs(open_cases=frozenset({"C1"}), breaches=((TODAY, "C1"),),
                          row_status="inactive")
    assert score_health(inputs, TODAY, RULES) == (
        59, "medium", "base=70 revenue=0 open_cases=-3 sla_breaches=-8 negative=0 positive=0")


@pytest.mark.parametrize("inputs", [
    HealthInputs(breaches=((TODAY, "C1"),)),
    HealthInputs(sentiments=((TODAY, "negative"),)),
    HealthInputs(last_purchase=TODAY),
], ids=["breach", "sentiment", "purchase"])
def test_the_rescore_of_a_fact_is_due_the_day_after_its_window_ends(inputs: HealthInputs) -> None:
    assert _next_expiry(inputs, RULES) == TODAY + timedelta(days=91)


def test_a_positive_interaction_raises_the_score_and_a_neutral_one_is_not_kept() -> None:
    w = customer(Scenario())
    w.send(RecordInteraction, "I1", account_id="A1", interaction_type="call",
           sentiment="neutral")
    w.send(RecordInteraction, "I2", account_id="A1", interaction_type="call",
           sentiment="positive")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 72, "low", None)]
    assert w.state.view("health_inputs")["A1"].sentiments == ((T0.date(), "positive"),)


def test_facts_on_day_90_count_when_a_new_input_rescores_that_day() -> None:
    w = customer(Scenario())
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    w.tick(T0 + timedelta(hours=8, minutes=30))  # both breaches on 2 March
    w.send(ResolveCase, "C1", resolution="done")
    complaints(w, "A1", 1)  # 2 March too
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 57, "medium", None)]
    w.at(utc(2026, 5, 30, 12)).send(RecordInteraction, "I9", account_id="A1",
                                    interaction_type="call", sentiment="positive")
    # 31 May is day 90 of both windows: the breach and the complaint still count.
    assert scored(w.tick(utc(2026, 5, 31))) == [("A1", 57 + 2, "medium", None)]
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 72, "low", None)]
    inputs = w.state.view("health_inputs")["A1"]
    assert (inputs.breaches, inputs.sentiments) == ((), ((date(2026, 5, 30), "positive"),))
    assert w.state.view("health_due") == {date(2026, 8, 29): {"A1"}}


def test_aged_out_facts_are_dropped_and_nothing_stays_due() -> None:
    w = customer(Scenario())
    complaints(w, "A1", 1)
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="critical")
    w.tick(T0 + timedelta(hours=8, minutes=30))
    w.send(ResolveCase, "C1", resolution="done")
    w.tick(utc(2026, 3, 3))
    assert w.state.view("health_due") == {date(2026, 6, 1): {"A1"}}
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 70, "low", None)]
    inputs = w.state.view("health_inputs")["A1"]
    assert (inputs.breaches, inputs.sentiments) == ((), ())
    assert w.state.view("health_due") == {}


def test_an_account_still_high_risk_stays_at_risk_when_its_score_changes() -> None:
    w = customer(Scenario())
    complaints(w, "A1", 7)  # 35: high
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 35, "high", "at_risk")]
    complaints(w, "A1", 1, first=7)
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 30, "high", None)]


def test_recovery_restores_the_status_and_forgets_the_one_it_replaced() -> None:
    w = customer(Scenario())
    complaints(w, "A1", 7)
    w.tick(T0 + timedelta(minutes=30))
    assert w.state.view("health_inputs")["A1"].status_before == ACTIVE
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 70, "low", "active")]
    inputs = w.state.view("health_inputs")["A1"]
    assert (inputs.row_status, inputs.status_before) == ("active", None)


def test_a_person_confirming_the_rules_at_risk_caps_the_score_until_they_clear_it() -> None:
    w = customer(Scenario())
    complaints(w, "A1", 7)
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 35, "high", "at_risk")]
    w.later(hours=1).send(ChangeAccountRelationship, "A1", relationship_status="at_risk")
    # The complaints age out: a person's at_risk holds the score at 39, no status change.
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 39, "high", None)]


def test_revenue_writes_active_over_the_rules_at_risk_and_forgets_the_status_replaced() -> None:
    w = customer(Scenario())
    complaints(w, "A1", 7)
    w.tick(T0 + timedelta(minutes=30))
    w.later(hours=1).revenue("A1", "1000.00", T0.date())
    inputs = w.state.view("health_inputs")["A1"]
    assert (inputs.row_status, inputs.status_before) == ("active", None)


def test_an_update_without_a_tier_keeps_the_tier_the_counts_are_weighed_by() -> None:
    w = customer(Scenario(), tier="strategic")
    for n in range(5):
        w.send(OpenCase, f"C{n}", account_id="A1", subject="s", description="d",
               priority="low")
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 67, "low", None)]
    w.later(hours=1).send(UpdateAccount, "A1", account_name="Company A1 Ltd")
    assert scored(w.tick(utc(2026, 3, 3))) == []
    assert w.state.view("health_inputs")["A1"].tier == "strategic"


def test_the_day_marker_is_kept_in_its_own_view() -> None:
    w = customer(Scenario())
    w.tick(T0 + timedelta(minutes=30))
    assert w.state.view("health_day") == {"day": T0.date()}


def test_a_tick_before_any_account_exists_does_not_stop_later_scoring() -> None:
    w = Scenario()
    assert scored(w.tick(T0)) == []
    customer(w.later(hours=1))
    assert scored(w.tick(utc(2026, 3, 3))) == [("A1", 70, "low", None)]


def test_accounts_due_and_accounts_dirty_are_rescored_on_the_same_tick() -> None:
    w = Scenario().account("A1")
    w.revenue("A1", "100000.00", T0.date())  # the bonus ends on 1 June
    assert scored(w.tick(T0 + timedelta(minutes=30))) == [("A1", 85, "low", None)]
    customer(w.at(utc(2026, 5, 31, 12)), "A2")
    assert scored(w.tick(utc(2026, 6, 1))) == [("A1", 70, "low", None), ("A2", 70, "low", None)]


def test_an_older_breach_event_arriving_late_does_not_move_a_cases_breach_day_back() -> None:
    w = customer(Scenario())
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d", priority="low")
    w.tick(T0 + timedelta(minutes=30))
    w.tick(utc(2026, 3, 3, 9, 30))  # response breach (24 h) on 3 March
    w.tick(utc(2026, 3, 7, 9, 30))  # resolution breach (120 h) on 7 March
    first = of_type(w.events, CaseSlaViolated)[0]
    _breach(w.state, first.model_copy(update={"event_id": "late"}))
    assert w.state.view("health_inputs")["A1"].breaches == ((date(2026, 3, 7), "C1"),)


def test_a_repeated_breach_on_the_same_day_leaves_the_breaches_and_the_account_untouched() -> None:
    w = customer(Scenario())
    for case in ("C1", "C2"):
        w.send(OpenCase, case, account_id="A1", subject="s", description="d",
               priority="critical")
    w.tick(T0 + timedelta(hours=8, minutes=30))
    w.tick(utc(2026, 3, 3))
    violated = of_type(w.events, CaseSlaViolated)[0]
    assert violated.aggregate_id == "C1"
    _breach(w.state, violated.model_copy(update={"event_id": "again"}))
    day = date(2026, 3, 2)
    assert w.state.view("health_inputs")["A1"].breaches == ((day, "C1"), (day, "C2"))
    assert "A1" not in w.state.view("health_dirty", set)
