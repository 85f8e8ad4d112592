"""Forecast events (rules in domain.forecasts.calls): the weekly snapshot and the period's call."""

from __future__ import annotations

from typing import Literal

from domain.kernel.messages import BigMoney, Date, Doc, Event, Opt, Percent

ForecastPeriod = Literal["monthly", "quarterly", "yearly"]


class ForecastSnapshotTaken(Event):
    """The live forecast of one rep for one period as of snapshot_date (absolute figures).

    Taken weekly (and once more when the period has ended, `period_closed`). Its figures
    are the deals as they stand; the period's frozen call is `forecast_call`.
    """

    AGGREGATE = "forecast"

    forecast_period: ForecastPeriod
    forecast_year: int = Doc("Fiscal year (rules_config.FiscalRules)")
    forecast_quarter: int | None = Opt(description="Fiscal quarter 1-4")
    forecast_month: int | None = Opt(description="Calendar month 1-12 (monthly rows)")
    territory_id: str | None = Opt(50, "The rep's territory at snapshot time")
    sales_rep_id: str | None = Opt(50, "None: deals without an owner")
    pipeline_amount: BigMoney = Doc("Open deals, probability 0-25 %")
    best_case_amount: BigMoney = Doc("Open deals, probability 26-75 %")
    commit_amount: BigMoney = Doc("Open deals, probability 76-99 %")
    closed_amount: BigMoney = Doc("Won deals closed in the period")
    total_forecast: BigMoney = Doc("pipeline + best_case + commit + closed")
    quota_amount: BigMoney | None = Opt()
    quota_attainment_pct: Percent | None = Opt(description="closed / quota * 100, max 999.99")
    actual_revenue: BigMoney = Doc("Revenue won in the period (= closed_amount)")
    forecast_accuracy_pct: Percent | None = Opt(
        description="Set when the period has closed: 100 - |actual - call| / call * 100, 0-100")
    snapshot_date: Date
    expected_amount: BigMoney | None = Opt(
        description="closed + open deals x stage probability, as of snapshot_date")
    forecast_call: BigMoney | None = Opt(
        description="The period's frozen call (ForecastCalled); None before the call")
    period_closed: bool = Doc("The final snapshot, taken after the period ended",
                              default=False)


class ForecastCalled(Event):
    """The forecast of one rep for one period as called at the period's call day; frozen."""

    AGGREGATE = "forecast"

    forecast_period: ForecastPeriod
    forecast_year: int = Doc("Fiscal year")
    forecast_quarter: int = Doc("Fiscal quarter 1-4")
    forecast_month: int | None = Opt(description="Calendar month 1-12 (monthly rows)")
    territory_id: str | None = Opt(50)
    sales_rep_id: str | None = Opt(50, "None: deals without an owner")
    pipeline_amount: BigMoney = Doc("Open deals closing in the period, 0-25 %, at the call")
    best_case_amount: BigMoney = Doc("Open deals closing in the period, 26-75 %, at the call")
    commit_amount: BigMoney = Doc("Open deals closing in the period, 76-99 %, at the call")
    closed_amount: BigMoney = Doc("Won in the period before the call")
    forecast_call: BigMoney = Doc(
        "closed + open deals closing in the period x probability + run_rate_amount")
    quota_amount: BigMoney | None = Opt(description="Pro-rated if the period began before "
                                        "the history")
    call_date: Date
    run_rate_amount: BigMoney | None = Opt(
        description="Won in the previous period from deals created in it (run-rate)")


class ForecastActualsUpdated(Event):
    """A called row's actuals after won business in its period changed (near real time)."""

    AGGREGATE = "forecast"

    forecast_period: ForecastPeriod
    forecast_year: int = Doc("Fiscal year")
    forecast_quarter: int = Doc("Fiscal quarter 1-4")
    forecast_month: int | None = Opt(description="Calendar month 1-12 (monthly rows)")
    sales_rep_id: str | None = Opt(50, "None: deals without an owner")
    closed_amount: BigMoney = Doc("Won in the period so far")
    actual_revenue: BigMoney = Doc("= closed_amount")
    quota_amount: BigMoney | None = Opt()
    quota_attainment_pct: Percent | None = Opt(description="closed / quota * 100, max 999.99")
    as_of: Date
