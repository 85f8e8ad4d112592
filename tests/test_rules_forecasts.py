"""Forecasts: weekly snapshots, the period's call (frozen), actuals, and accuracy at the close."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from scenario import Scenario, of_type

from domain.calendars.fiscal import call_day, period_bounds, periods_of
from domain.forecasts.calls import Forecast, accuracy, attainment, forecast_id, quota_for
from domain.forecasts.index import months_of
from domain.forecasts.messages import ForecastActualsUpdated, ForecastCalled, ForecastSnapshotTaken
from domain.kernel.messages import utc
from domain.kernel.state import CrmState
from domain.opportunities.entities import Opportunity
from domain.rules_config import DEFAULT_RULES, BusinessRules
from domain.sales_org.messages import SetRepQuota

FISCAL = DEFAULT_RULES.fiscal
# Most tests call mid-month (offset 14) and need no warm-up, so a short history shows a call.
RULES = BusinessRules.from_mapping({"fiscal": {
    "monthly_call_offset_days": 14, "quarterly_call_offset_days": 45,
    "forecast_warmup_days": 0}})
MARCH = ("monthly", 2026, 3)  # March 2026: fiscal year 2026 (April 2025 - March 2026), Q4
R1_CALL = Decimal("380000.00")  # 50000 won + 100000 x 10 % + 200000 x 40 % + 300000 x 80 %


def pipeline(rules: BusinessRules = RULES) -> Scenario:
    """R1: one deal per bucket in March, a won and a lost deal, one in May; R2: one deal."""
    s = Scenario(rules=rules).org()
    s.deal("O1", "100000", close=date(2026, 3, 20))
    s.deal("O2", "200000", close=date(2026, 3, 25))
    s.stage("O2", "needs_analysis")
    s.deal("O3", "300000", close=date(2026, 3, 28))
    s.stage("O3", "negotiation")
    s.deal("O4", "50000", close=date(2026, 4, 30))
    s.stage("O4", "negotiation")
    s.stage("O4", "closed_won")
    s.deal("O5", "70000", close=date(2026, 3, 15))
    s.stage("O5", "closed_lost", win_loss_reason="price")
    s.deal("O6", "90000", close=date(2026, 5, 10))
    s.deal("O7", "400000", owner="R2", close=date(2026, 3, 30))
    s.stage("O7", "proposal")
    s.deal("O8", "10000", owner=None, close=date(2026, 3, 30))
    return s


def folded(state: CrmState, rep: str | None, period: tuple[str, int, int]) -> dict[str, Decimal]:
    """The figures a snapshot must show, computed straight from the opportunities."""
    out = dict.fromkeys(("pipeline", "best_case", "commit", "closed"), Decimal(0))
    for opp in state.store("opportunity").values():
        assert isinstance(opp, Opportunity)
        if opp.owner != rep or opp.stage == "closed_lost":
            continue
        won = opp.stage == "closed_won"
        day = opp.actual_close_date if won else opp.close_date
        if period in periods_of(day, FISCAL):
            out["closed" if won else opp.forecast_category] += opp.amount
    return out


def snapshots(events: list) -> dict[tuple[str | None, str], ForecastSnapshotTaken]:
    return {(e.sales_rep_id, e.forecast_period): e for e in of_type(events, ForecastSnapshotTaken)}


def calls(events: list) -> dict[tuple[str | None, str], ForecastCalled]:
    return {(e.sales_rep_id, e.forecast_period): e for e in of_type(events, ForecastCalled)}


def closed_rows(events: list) -> dict[str | None, ForecastSnapshotTaken]:
    """The closing snapshots (of March's rows), by rep."""
    return {e.sales_rep_id: e for e in of_type(events, ForecastSnapshotTaken) if e.period_closed}


def called_march() -> tuple[Scenario, dict[tuple[str | None, str], ForecastCalled]]:
    """The history begins on 9 March; March is called on Monday 16 March."""
    s = pipeline()
    s.tick(utc(2026, 3, 9))
    return s, calls(s.tick(utc(2026, 3, 16)))


def test_periods_are_calendar_months_and_fiscal_quarters_april_to_march() -> None:
    assert periods_of(date(2026, 3, 31), FISCAL) == (MARCH, ("quarterly", 2026, 4))
    assert periods_of(date(2026, 4, 1), FISCAL) == (("monthly", 2027, 4), ("quarterly", 2027, 1))
    assert period_bounds(("quarterly", 2027, 3), FISCAL) == (date(2026, 10, 1), date(2027, 1, 1))
    assert period_bounds(("monthly", 2027, 1), FISCAL) == (date(2027, 1, 1), date(2027, 2, 1))


def test_by_default_a_period_is_called_on_its_first_business_day() -> None:
    assert call_day(MARCH, FISCAL) == date(2026, 3, 2)  # 1 March is a Sunday
    assert call_day(("quarterly", 2027, 2), FISCAL) == date(2026, 7, 1)
    assert call_day(("monthly", 2027, 8), FISCAL) == date(2026, 8, 3)  # 1 August: Saturday
    # configurable: start + offset, moved to the next business day
    assert call_day(MARCH, RULES.fiscal) == date(2026, 3, 16)  # the 15th is a Sunday
    assert call_day(("quarterly", 2027, 2), RULES.fiscal) == date(2026, 8, 17)


def test_by_default_there_is_no_warm_up_the_first_period_is_called_on_the_first_tick() -> None:
    # The simulated history starts mid-stream (its go-live migration carries the open
    # pipeline with its original creation dates), so nothing needs to warm up.
    assert DEFAULT_RULES.fiscal.forecast_warmup_days == 0
    s = pipeline(DEFAULT_RULES)
    march = calls(s.tick(utc(2026, 3, 2, 12)))  # the history begins on 2 March, call day
    assert {(rep, kind) for rep, kind in march} == {
        ("R1", "monthly"), ("R2", "monthly"), (None, "monthly")}  # Q4 began in January
    r1 = march[("R1", "monthly")]
    assert (r1.call_date, r1.forecast_call) == (date(2026, 3, 2), R1_CALL)


def test_a_configured_warm_up_holds_back_the_calls_made_within_it() -> None:
    warm_up = BusinessRules.from_mapping({"fiscal": {"forecast_warmup_days": 90}})
    s = pipeline(warm_up)  # warm-up 90 days; the history begins on 2 March
    s.tick(utc(2026, 3, 2, 12))
    assert of_type(s.tick(utc(2026, 5, 29)), ForecastCalled) == []  # 88 days in
    june = calls(s.tick(utc(2026, 6, 1)))  # 91 days in: June is called, Q1 (1 April) not
    assert {(e.forecast_period, e.forecast_month) for e in june.values()} == {("monthly", 6)}
    assert june[("R1", "monthly")].call_date == date(2026, 6, 1)
    july = calls(s.tick(utc(2026, 7, 1)))
    assert {(e.forecast_period, e.forecast_year, e.forecast_quarter)
            for e in july.values()} == {("monthly", 2027, 2), ("quarterly", 2027, 2)}


def test_the_first_tick_of_a_week_snapshots_every_rep_for_month_and_quarter() -> None:
    s = pipeline()
    taken = snapshots(s.tick(utc(2026, 3, 9)))
    assert sorted(taken, key=str) == sorted(
        [(r, p) for r in ("R1", "R2", None) for p in ("monthly", "quarterly")], key=str)
    march = taken[("R1", "monthly")]
    assert (march.forecast_year, march.forecast_month, march.forecast_quarter) == (2026, 3, 4)
    assert march.territory_id == "T1" and march.snapshot_date == date(2026, 3, 9)
    assert taken[("R1", "quarterly")].forecast_month is None
    assert (march.forecast_call, march.forecast_accuracy_pct) == (None, None)  # not called


def test_snapshot_amounts_agree_with_the_opportunities_folded() -> None:
    s = pipeline()
    taken = snapshots(s.tick(utc(2026, 3, 9)))
    for (rep, kind), snap in taken.items():
        period = periods_of(date(2026, 3, 9), FISCAL)[0 if kind == "monthly" else 1]
        expected = folded(s.state, rep, period)
        assert (snap.pipeline_amount, snap.best_case_amount, snap.commit_amount,
                snap.closed_amount) == (expected["pipeline"], expected["best_case"],
                                        expected["commit"], expected["closed"]), (rep, kind)
        assert snap.total_forecast == sum(expected.values())
        assert snap.actual_revenue == snap.closed_amount
    march = taken[("R1", "monthly")]
    assert (march.pipeline_amount, march.best_case_amount, march.commit_amount,
            march.closed_amount, march.expected_amount) == (
        Decimal(100000), Decimal(200000), Decimal(300000), Decimal(50000), R1_CALL)


def test_later_ticks_of_the_same_week_take_no_snapshot() -> None:
    s = pipeline()
    s.tick(utc(2026, 3, 9))
    assert of_type(s.tick(utc(2026, 3, 9, 0, 30)), ForecastSnapshotTaken) == []
    assert of_type(s.tick(utc(2026, 3, 15, 23, 30)), ForecastSnapshotTaken) == []


def test_the_call_is_made_on_the_call_day_as_closed_plus_probability_weighted_deals() -> None:
    s = pipeline()
    s.tick(utc(2026, 3, 9))
    assert of_type(s.tick(utc(2026, 3, 13)), ForecastCalled) == []  # before the call day
    s, called = called_march()
    assert sorted(called, key=str) == sorted(
        [("R1", "monthly"), ("R2", "monthly"), (None, "monthly")], key=str)
    r1 = called[("R1", "monthly")]
    assert (r1.forecast_call, r1.call_date, r1.forecast_year, r1.forecast_quarter) == (
        R1_CALL, date(2026, 3, 16), 2026, 4)
    assert (r1.pipeline_amount, r1.best_case_amount, r1.commit_amount, r1.closed_amount) == (
        Decimal(100000), Decimal(200000), Decimal(300000), Decimal(50000))
    assert called[("R2", "monthly")].forecast_call == Decimal("240000.00")  # 400000 x 60 %
    assert of_type(s.tick(utc(2026, 3, 17)), ForecastCalled) == []  # once per period


def test_the_call_is_frozen_and_the_accuracy_baseline_is_never_retaken() -> None:
    s, _ = called_march()
    s.at(utc(2026, 3, 18, 10))
    s.stage("O3", "closed_won")
    s.stage("O1", "closed_lost", win_loss_reason="price")
    week = snapshots(s.tick(utc(2026, 3, 23)))[("R1", "monthly")]
    assert (week.closed_amount, week.expected_amount) == (Decimal(350000), Decimal("430000.00"))
    assert (week.forecast_call, week.forecast_accuracy_pct) == (R1_CALL, None)  # still open
    assert s.state.get("forecast", forecast_id(MARCH, "R1")).call == R1_CALL
    closing = closed_rows(s.tick(utc(2026, 4, 1)))["R1"]
    assert (closing.forecast_call, closing.actual_revenue) == (R1_CALL, Decimal(350000))
    assert closing.forecast_accuracy_pct == Decimal("92.11")  # 100 - 30000 / 380000


def test_periods_whose_call_day_came_before_the_history_get_no_row() -> None:
    s, called = called_march()
    assert ("R1", "quarterly") not in called  # Q4 was called on 16 February
    events = s.tick(utc(2026, 4, 1))
    closed = [e for e in of_type(events, ForecastSnapshotTaken) if e.period_closed]
    assert {(e.sales_rep_id, e.forecast_period) for e in closed} == {
        ("R1", "monthly"), ("R2", "monthly"), (None, "monthly")}
    april = calls(s.tick(utc(2026, 4, 15)))  # April: fiscal year 2027, Q1
    assert (april[("R1", "monthly")].forecast_year,
            april[("R1", "monthly")].forecast_quarter) == (2027, 1)


def test_a_period_begun_before_the_history_has_its_quota_pro_rated() -> None:
    _, called = called_march()
    # 23 of March's 31 days are in the history (it began on 9 March): 100000 x 23 / 31
    assert called[("R1", "monthly")].quota_amount == Decimal("74193.55")
    assert called[(None, "monthly")].quota_amount is None
    assert quota_for(("monthly", 2026, 1), (None, Decimal(300))) == Decimal("100.00")
    assert quota_for(("quarterly", 2026, 1), (Decimal(1200), None)) == Decimal("300.00")


def test_attainment_is_capped_at_999_99_because_the_column_is_dec_5_2() -> None:
    assert attainment(Decimal(50000), Decimal(100)) == Decimal("999.99")
    assert attainment(Decimal(9999), Decimal(1000)) == Decimal("999.90")
    assert attainment(Decimal(5), None) is None
    s = pipeline()
    s.ok(SetRepQuota, "R1", annual_quota=Decimal(1200), quarterly_quota=Decimal(300))
    s.tick(utc(2026, 3, 2, 12))  # history from 2 March: 100 x 30 / 31
    snap = snapshots(s.tick(utc(2026, 3, 16)))[("R1", "monthly")]
    assert (snap.quota_amount, snap.quota_attainment_pct) == (Decimal("96.77"),
                                                              Decimal("999.99"))


def test_won_business_nobody_called_gets_a_row_with_a_call_of_zero() -> None:
    s, _ = called_march()
    s.at(utc(2026, 3, 19, 10))
    s.deal("O9", "80000", owner="M1", close=date(2026, 3, 27))
    s.stage("O9", "negotiation")
    s.stage("O9", "closed_won")
    events = s.tick(utc(2026, 3, 23))
    late = calls(events)[("M1", "monthly")]
    assert (late.forecast_call, late.call_date, late.closed_amount) == (
        Decimal(0), date(2026, 3, 16), Decimal(0))
    closing = closed_rows(s.tick(utc(2026, 4, 1)))["M1"]
    assert (closing.actual_revenue, closing.forecast_accuracy_pct) == (Decimal(80000), None)


def test_forecast_accuracy_is_100_minus_the_relative_miss_floored_at_zero() -> None:
    assert accuracy(Decimal(100), Decimal(100)) == Decimal("100.00")
    assert accuracy(Decimal(80), Decimal(100)) == Decimal("80.00")
    assert accuracy(Decimal(120), Decimal(100)) == Decimal("80.00")
    assert accuracy(Decimal(300), Decimal(100)) == Decimal("0.00")
    assert accuracy(Decimal(5), Decimal(0)) is None
    assert accuracy(Decimal("0.60"), Decimal("0.50")) == Decimal("80.00")  # any call above 0


def test_actuals_are_brought_up_to_date_on_the_tick_after_a_win_not_weekly() -> None:
    s, _ = called_march()
    s.at(utc(2026, 3, 18, 10))
    s.stage("O3", "closed_won")
    events = s.tick(utc(2026, 3, 18, 10, 30))  # a Wednesday: no snapshot that day
    assert of_type(events, ForecastSnapshotTaken) == []
    updated = {(e.sales_rep_id, e.forecast_period): e
               for e in of_type(events, ForecastActualsUpdated)}
    assert set(updated) == {("R1", "monthly")}  # the quarter (Q4) was never called
    r1 = updated[("R1", "monthly")]
    assert (r1.actual_revenue, r1.quota_attainment_pct, r1.as_of) == (
        Decimal(350000), Decimal("471.74"), date(2026, 3, 18))  # of 74193.55
    assert of_type(s.tick(utc(2026, 3, 18, 11)), ForecastActualsUpdated) == []  # nothing new


def test_the_call_adds_the_run_rate_won_last_period_from_deals_created_in_it() -> None:
    s = Scenario(start=utc(2026, 2, 20), rules=RULES).org()  # the history begins in February
    s.tick(utc(2026, 2, 20, 0, 30))
    s.deal("F1", "70000", close=date(2026, 3, 10))  # created in February, won in March
    s.stage("F1", "negotiation")
    s.at(utc(2026, 3, 5, 10))
    s.deal("N1", "60000", close=date(2026, 5, 29))  # created and won in March: run-rate
    s.stage("N1", "negotiation")
    s.stage("N1", "closed_won")
    s.stage("F1", "closed_won")
    s.deal("A1", "100000", close=date(2026, 4, 20))  # open, closing in April, 10 %
    april = calls(s.tick(utc(2026, 4, 15)))[("R1", "monthly")]
    assert (april.run_rate_amount, april.forecast_call) == (Decimal(60000),
                                                            Decimal("70000.00"))


def test_a_migrated_deal_counts_in_the_run_rate_of_the_period_it_was_really_opened_in() -> None:
    s = Scenario(start=utc(2026, 3, 2, 9), rules=RULES).org()  # go-live: 2 March
    s.tick(utc(2026, 3, 2, 9, 30))
    s.deal("M1", "90000", close=date(2026, 3, 20),  # migrated: opened in January
           original_created_at=utc(2026, 1, 14, 6), created_by="data-migration")
    s.stage("M1", "negotiation")
    s.at(utc(2026, 3, 5, 10))
    s.deal("N1", "60000", close=date(2026, 3, 29))  # opened and won in March: run-rate
    s.stage("N1", "negotiation")
    s.stage("N1", "closed_won")
    s.stage("M1", "closed_won")  # won in March, but not March's new business
    s.deal("A1", "100000", close=date(2026, 4, 20))  # open, closing in April, 10 %
    assert s.opp("M1").created_at == utc(2026, 1, 14, 6)
    april = calls(s.tick(utc(2026, 4, 15)))[("R1", "monthly")]
    assert (april.run_rate_amount, april.forecast_call) == (Decimal(60000),
                                                            Decimal("70000.00"))


def test_a_quarter_uses_the_quarterly_quota_and_a_month_the_annual_one_when_both_are_set() -> None:
    both = (Decimal(1200), Decimal(500))  # annual 1200, quarterly 500 (not 1200 / 4)
    assert quota_for(("quarterly", 2026, 1), both) == Decimal(500)
    assert quota_for(("monthly", 2026, 1), both) == Decimal("100.00")  # 1200 / 12
    assert quota_for(("monthly", 2026, 1), None) is None
    assert quota_for(("quarterly", 2026, 1), (None, None)) is None


def test_a_called_row_carries_the_reps_territory_and_a_month_only_when_it_is_monthly() -> None:
    s, march = called_march()
    assert {rep: (e.territory_id, e.forecast_month, e.forecast_quarter)
            for (rep, _), e in march.items()} == {
        "R1": ("T1", 3, 4), "R2": ("T1", 3, 4), None: (None, 3, 4)}
    assert s.state.get("forecast", forecast_id(MARCH, "R1")) == Forecast(
        "FC-M2026-03-R1", R1_CALL, date(2026, 3, 16))  # the frozen call and its day
    s.tick(utc(2026, 4, 1))
    q1 = calls(s.tick(utc(2026, 5, 18)))  # Q1 (April-June) is called on 18 May
    r1 = q1[("R1", "quarterly")]
    assert (r1.territory_id, r1.forecast_year, r1.forecast_quarter, r1.forecast_month,
            r1.quota_amount, r1.call_date) == ("T1", 2027, 1, None, Decimal(300000),
                                               date(2026, 5, 18))
    assert (q1[(None, "quarterly")].territory_id, q1[(None, "quarterly")].forecast_month) == (
        None, None)


def test_a_forecast_row_id_names_the_period_and_rep_and_is_hashed_past_50_characters() -> None:
    assert forecast_id(MARCH, "R1") == "FC-M2026-03-R1"
    assert forecast_id(("quarterly", 2026, 4), None) == "FC-Q2026-04-UNASSIGNED"
    assert forecast_id(MARCH, "R" * 38) == "FC-M2026-03-" + "R" * 38  # 50 characters: kept
    assert forecast_id(MARCH, "R" * 39) == "FC-51884a2a-82b0-5400-94c5-b46f88"  # 51: hashed
    taken = snapshots(pipeline().tick(utc(2026, 3, 9)))  # snapshots go to the same rows
    assert (taken[("R1", "monthly")].aggregate_id,
            taken[(None, "quarterly")].aggregate_id) == ("FC-M2026-03-R1",
                                                         "FC-Q2026-04-UNASSIGNED")


def test_a_quarters_buckets_add_up_its_three_months() -> None:
    s = Scenario(rules=RULES).org()
    s.deal("Q1", "10000", close=date(2026, 4, 20))
    s.deal("Q2", "20000", close=date(2026, 5, 20))
    s.deal("Q3", "40000", close=date(2026, 6, 20))
    taken = snapshots(s.tick(utc(2026, 4, 6)))  # April and Q1 (April-June)
    quarter, april = taken[("R1", "quarterly")], taken[("R1", "monthly")]
    assert (quarter.pipeline_amount, quarter.expected_amount) == (Decimal(70000),
                                                                  Decimal("7000.00"))
    assert (april.pipeline_amount, april.expected_amount) == (Decimal(10000),
                                                              Decimal("1000.00"))


def test_a_period_lists_its_calendar_months_across_the_turn_of_the_year() -> None:
    winter = BusinessRules.from_mapping({"fiscal": {"fiscal_year_start_month": 12}}).fiscal
    quarter = periods_of(date(2027, 1, 15), winter)[1]  # December-February
    assert months_of(quarter, winter) == [(2026, 12), (2027, 1), (2027, 2)]
    assert months_of(("quarterly", 2027, 3), FISCAL) == [(2026, 10), (2026, 11), (2026, 12)]
    assert months_of(("monthly", 2027, 12), FISCAL) == [(2026, 12)]


def test_a_period_has_rows_for_reps_with_deals_in_it_or_open_deals_anywhere() -> None:
    s = Scenario(rules=RULES).org()
    s.deal("W1", "10000", close=date(2026, 3, 20))  # R1: won in March, nothing open
    s.stage("W1", "negotiation")
    s.stage("W1", "closed_won")
    s.deal("A1", "20000", owner="R2", close=date(2026, 6, 20))  # R2: one open deal, June
    march = snapshots(s.tick(utc(2026, 3, 9)))
    assert sorted(march, key=str) == [("R1", "monthly"), ("R1", "quarterly"),
                                      ("R2", "monthly"), ("R2", "quarterly")]
    assert march[("R1", "monthly")].closed_amount == Decimal(10000)
    april = snapshots(s.tick(utc(2026, 4, 6)))  # R1 has nothing in April and nothing open
    assert sorted(april, key=str) == [("R2", "monthly"), ("R2", "quarterly")]
    assert (april[("R2", "monthly")].pipeline_amount,
            april[("R2", "quarterly")].pipeline_amount) == (Decimal(0), Decimal(20000))


def test_actuals_update_every_called_row_of_the_day_even_when_the_month_is_not_called_yet() -> None:
    late_month = BusinessRules.from_mapping({"fiscal": {
        "monthly_call_offset_days": 20, "quarterly_call_offset_days": 0}})
    s = Scenario(start=utc(2026, 4, 1, 9), rules=late_month).org()
    s.deal("Q1", "60000", close=date(2026, 4, 24))
    s.deal("Q2", "30000", close=date(2026, 4, 28))
    assert list(calls(s.tick(utc(2026, 4, 1, 9, 30)))) == [("R1", "quarterly")]  # April: 21st
    s.at(utc(2026, 4, 8, 10))
    s.stage("Q1", "negotiation")
    s.stage("Q1", "closed_won")
    [quarter] = of_type(s.tick(utc(2026, 4, 8, 10, 30)), ForecastActualsUpdated)
    assert (quarter.aggregate_id, quarter.forecast_month, quarter.forecast_quarter,
            quarter.quota_amount, quarter.quota_attainment_pct, quarter.actual_revenue) == (
        "FC-Q2027-01-R1", None, 1, Decimal(300000), Decimal("20.00"), Decimal(60000))
    s.tick(utc(2026, 4, 21))  # April is called
    s.at(utc(2026, 4, 22, 10))
    s.stage("Q2", "negotiation")
    s.stage("Q2", "closed_won")
    updates = of_type(s.tick(utc(2026, 4, 22, 10, 30)), ForecastActualsUpdated)
    assert [(e.aggregate_id, e.forecast_month, e.quota_amount, e.quota_attainment_pct,
             e.actual_revenue) for e in updates] == [
        ("FC-M2027-04-R1", 4, Decimal(100000), Decimal("90.00"), Decimal(90000)),
        ("FC-Q2027-01-R1", None, Decimal(300000), Decimal("30.00"), Decimal(90000))]


def test_a_called_row_is_kept_to_the_close_and_only_won_business_adds_a_row_after_the_call(
) -> None:
    s = pipeline()
    s.deal("J1", "30000", owner="D1", close=date(2026, 6, 20))  # D1: one open deal, June
    s.tick(utc(2026, 3, 9))
    assert ("D1", "monthly") in calls(s.tick(utc(2026, 3, 16)))  # called at 0
    s.at(utc(2026, 3, 17, 10))
    s.stage("J1", "closed_lost", win_loss_reason="price")  # D1 has nothing left
    s.deal("M9", "5000", owner="M1", close=date(2026, 3, 30))  # open: no row of its own
    s.deal("U1", "1", owner="VP1", close=date(2026, 3, 30))  # won, 1 rupee: a row
    s.stage("U1", "negotiation")
    s.stage("U1", "closed_won")
    week = s.tick(utc(2026, 3, 23))
    assert list(calls(week)) == [("VP1", "monthly")]
    taken = snapshots(week)
    assert {rep: taken[(rep, "monthly")].forecast_call for rep in ("D1", "M1", "VP1")} == {
        "D1": Decimal(0), "M1": None, "VP1": Decimal(0)}
    closing = closed_rows(s.tick(utc(2026, 4, 1)))
    assert {rep: (e.forecast_call, e.actual_revenue) for rep, e in closing.items()} == {
        None: (Decimal("1000.00"), Decimal(0)), "D1": (Decimal(0), Decimal(0)),
        "R1": (R1_CALL, Decimal(50000)), "R2": (Decimal("240000.00"), Decimal(0)),
        "VP1": (Decimal(0), Decimal(1))}  # M1 was never called: no closing row


def test_a_rep_who_wins_one_of_two_open_deals_keeps_a_row_for_the_other() -> None:
    s = Scenario(rules=RULES).org()
    s.deal("B1", "15000", owner="R2", close=date(2026, 3, 25))
    s.deal("A1", "20000", owner="R2", close=date(2026, 6, 20))  # still open in April
    s.stage("B1", "negotiation")
    s.stage("B1", "closed_won")
    s.tick(utc(2026, 3, 9))
    april = snapshots(s.tick(utc(2026, 4, 6)))
    assert sorted(april, key=str) == [("R2", "monthly"), ("R2", "quarterly")]
    assert april[("R2", "quarterly")].pipeline_amount == Decimal(20000)


def test_the_run_rate_adds_up_every_deal_created_and_won_in_the_previous_period() -> None:
    s = Scenario(start=utc(2026, 3, 2, 9), rules=RULES).org()
    s.tick(utc(2026, 3, 2, 9, 30))
    for deal, amount in (("N1", "60000"), ("N2", "25000")):  # opened and won in March
        s.deal(deal, amount, close=date(2026, 3, 27))
        s.stage(deal, "negotiation")
        s.stage(deal, "closed_won")
    s.deal("A1", "100000", close=date(2026, 4, 20))  # open, closing in April, 10 %
    april = calls(s.tick(utc(2026, 4, 15)))[("R1", "monthly")]
    assert (april.run_rate_amount, april.forecast_call) == (Decimal(85000),
                                                            Decimal("95000.00"))


def test_a_deal_won_before_its_close_date_updates_the_actuals_of_the_month_it_was_won() -> None:
    s, _ = called_march()
    s.at(utc(2026, 3, 18, 10))
    s.deal("O9", "30000", close=date(2026, 4, 24))  # planned for April, won in March
    s.stage("O9", "negotiation")
    s.stage("O9", "closed_won")
    updates = of_type(s.tick(utc(2026, 3, 18, 10, 30)), ForecastActualsUpdated)
    assert [(e.aggregate_id, e.actual_revenue) for e in updates] == [
        ("FC-M2026-03-R1", Decimal(80000))]  # 50000 + 30000
