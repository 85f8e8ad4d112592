"""Forecast snapshots: when they are taken, and that their amounts agree with the deals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from area_b_fixtures import Scenario, of

from domain.forecasts import (
    ForecastSnapshotTaken,
    accuracy,
    forecast_id,
    periods_of,
    quota_for,
)
from domain.messages import utc
from domain.opportunities import Opportunity
from domain.state import CrmState


def pipeline() -> Scenario:
    """R1: one deal per bucket in March, a won and a lost deal, one in May; R2: one deal."""
    s = Scenario().org()
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
        if period in periods_of(day):
            out["closed" if won else opp.forecast_category] += opp.amount
    return out


def snapshots(events: list) -> dict[tuple[str | None, str], ForecastSnapshotTaken]:
    return {(e.sales_rep_id, e.forecast_period): e for e in of(events, ForecastSnapshotTaken)}


def test_the_first_tick_of_a_week_snapshots_every_rep_for_month_and_quarter() -> None:
    s = pipeline()
    taken = snapshots(s.tick(utc(2026, 3, 9)))
    assert sorted(taken, key=str) == sorted(
        [(r, p) for r in ("R1", "R2", None) for p in ("monthly", "quarterly")], key=str)
    march = taken[("R1", "monthly")]
    assert (march.forecast_year, march.forecast_month, march.forecast_quarter) == (2026, 3, 1)
    assert march.territory_id == "T1" and march.snapshot_date == date(2026, 3, 9)
    assert taken[("R1", "quarterly")].forecast_month is None


def test_snapshot_amounts_agree_with_the_opportunities_folded() -> None:
    s = pipeline()
    taken = snapshots(s.tick(utc(2026, 3, 9)))
    for (rep, kind), snap in taken.items():
        period = periods_of(date(2026, 3, 9))[0 if kind == "monthly" else 1]
        expected = folded(s.state, rep, period)
        assert (snap.pipeline_amount, snap.best_case_amount, snap.commit_amount,
                snap.closed_amount) == (expected["pipeline"], expected["best_case"],
                                        expected["commit"], expected["closed"]), (rep, kind)
        assert snap.total_forecast == sum(expected.values())
        assert snap.actual_revenue == snap.closed_amount
    march = taken[("R1", "monthly")]
    assert (march.pipeline_amount, march.best_case_amount, march.commit_amount,
            march.closed_amount) == (Decimal(100000), Decimal(200000), Decimal(300000),
                                     Decimal(50000))
    assert taken[("R2", "monthly")].best_case_amount == Decimal(400000)


def test_quota_and_attainment_come_from_the_reps_quotas() -> None:
    s = pipeline()
    taken = snapshots(s.tick(utc(2026, 3, 9)))
    month, quarter = taken[("R1", "monthly")], taken[("R1", "quarterly")]
    assert (month.quota_amount, month.quota_attainment_pct) == (Decimal("100000.00"),
                                                                Decimal("50.00"))
    assert (quarter.quota_amount, quarter.quota_attainment_pct) == (Decimal("300000"),
                                                                    Decimal("16.67"))
    assert taken[(None, "monthly")].quota_amount is None
    assert quota_for(("monthly", 2026, 1), (None, Decimal(300))) == Decimal("100.00")
    assert quota_for(("quarterly", 2026, 1), (Decimal(1200), None)) == Decimal("300.00")


def test_later_ticks_of_the_same_week_take_no_snapshot() -> None:
    s = pipeline()
    s.tick(utc(2026, 3, 9))
    assert of(s.tick(utc(2026, 3, 9, 0, 30)), ForecastSnapshotTaken) == []
    assert of(s.tick(utc(2026, 3, 15, 23, 30)), ForecastSnapshotTaken) == []


def test_the_next_weeks_snapshot_updates_the_same_rows_with_new_figures() -> None:
    s = pipeline()
    first = snapshots(s.tick(utc(2026, 3, 9)))
    s.at(utc(2026, 3, 10, 10))
    s.stage("O3", "closed_won")
    second = snapshots(s.tick(utc(2026, 3, 16)))
    old, new = first[("R1", "monthly")], second[("R1", "monthly")]
    assert new.aggregate_id == old.aggregate_id == forecast_id(("monthly", 2026, 3), "R1")
    assert new.aggregate_version == 2 and new.snapshot_date == date(2026, 3, 16)
    assert (new.commit_amount, new.closed_amount) == (Decimal(0), Decimal(350000))
    assert (new.closed_amount, new.commit_amount) == (
        folded(s.state, "R1", ("monthly", 2026, 3))["closed"], Decimal(0))


def test_entering_a_new_month_first_closes_the_month_and_quarter_just_ended() -> None:
    s = pipeline()
    s.tick(utc(2026, 3, 30))
    s.at(utc(2026, 3, 31, 15))
    s.stage("O7", "negotiation")
    s.stage("O7", "closed_won")
    events = of(s.tick(utc(2026, 4, 1)), ForecastSnapshotTaken)
    def periods(rep: str) -> list[tuple[str, int, int | None]]:
        return [(e.forecast_period, e.forecast_quarter, e.forecast_month)
                for e in events if e.sales_rep_id == rep]

    # R1 still has open deals, so it also gets April and Q2 rows; R2 has nothing left open.
    assert periods("R1") == [("monthly", 1, 3), ("quarterly", 1, None),
                             ("monthly", 2, 4), ("quarterly", 2, None)]
    assert periods("R2") == [("monthly", 1, 3), ("quarterly", 1, None)]
    closing = events[[e.sales_rep_id for e in events].index("R2")]
    assert closing.closed_amount == Decimal(400000)


def test_forecast_accuracy_compares_actual_revenue_with_the_first_committed_forecast() -> None:
    assert accuracy(Decimal(100), Decimal(100)) == Decimal("100.00")
    assert accuracy(Decimal(80), Decimal(100)) == Decimal("80.00")
    assert accuracy(Decimal(300), Decimal(100)) == Decimal("0.00")
    assert accuracy(Decimal(5), Decimal(0)) is None
    s = pipeline()
    first = snapshots(s.tick(utc(2026, 3, 9)))[("R1", "monthly")]
    assert first.forecast_accuracy_pct == Decimal("14.29")  # 50000 of 350000 committed
