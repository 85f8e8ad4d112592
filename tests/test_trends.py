"""Pipeline and forecast trends (issue 19): the deals as of each week, concrete values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from scenario import Scenario
from support import project
from typer.testing import CliRunner

from crm import bootstrap
from crm.cli import app
from domain.kernel.messages import utc
from domain.opportunities.messages import ChangeOpportunityTerms
from domain.rules_config import DEFAULT_RULES, FiscalRules
from reports.trends import (
    fiscal_quarter_of,
    forecast_trend,
    parse_closing,
    parse_days,
    pipeline_trend,
    week_ends,
)

WEEKS = [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16), date(2026, 3, 23),
         date(2026, 3, 30)]


def test_the_weeks_of_a_period_end_with_its_last_day() -> None:
    assert week_ends(date(2026, 3, 2), date(2026, 3, 30)) == WEEKS
    assert week_ends(date(2026, 3, 2), date(2026, 3, 12)) == [
        date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 12)]
    with pytest.raises(ValueError):
        week_ends(date(2026, 3, 2), date(2026, 3, 1))


def test_the_default_forecast_period_is_the_quarter_of_the_configured_fiscal_calendar(
) -> None:
    fiscal = DEFAULT_RULES.fiscal  # April to March
    assert fiscal_quarter_of(date(2026, 3, 30), fiscal) == (date(2026, 1, 1), date(2026, 4, 1))
    assert fiscal_quarter_of(date(2026, 4, 1), fiscal) == (date(2026, 4, 1), date(2026, 7, 1))
    february = FiscalRules(fiscal_year_start_month=2)  # a year from February: May-July
    assert fiscal_quarter_of(date(2026, 5, 15), february) == (date(2026, 5, 1),
                                                              date(2026, 8, 1))
    assert parse_closing(date(2026, 5, 15), None, None, fiscal=february) == (
        date(2026, 5, 1), date(2026, 8, 1))


def month_of_deals() -> Scenario:
    """Two deals opened on Monday 2 March, moved on each of the next three Tuesdays; a
    third opened on the 24th. O1 and O3 close in March, O2 in April."""
    s = Scenario().org()
    s.deal("O1", "100000", close=date(2026, 3, 20))
    s.deal("O2", "50000", owner="R2", close=date(2026, 4, 15))
    s.at(utc(2026, 3, 10, 11))
    s.stage("O1", "qualification")
    s.stage("O2", "qualification")
    s.stage("O2", "needs_analysis")
    s.at(utc(2026, 3, 17, 11))
    s.stage("O1", "needs_analysis")
    s.stage("O2", "closed_lost", win_loss_reason="price")
    s.at(utc(2026, 3, 24, 11))
    s.deal("O3", "30000", close=date(2026, 3, 31))
    s.ok(ChangeOpportunityTerms, "O1", amount=Decimal("120000"))
    return s


@pytest.mark.integration
def test_the_pipeline_by_stage_at_the_end_of_each_week(engine: sa.Engine) -> None:
    project(engine, month_of_deals().events)
    assert [(day.isoformat(), stage, n, str(amount), f"{weighted:.2f}") for
            day, stage, n, amount, weighted in pipeline_trend(engine, WEEKS)] == [
        ("2026-03-02", "prospecting", 2, "150000.00", "15000.00"),
        ("2026-03-09", "prospecting", 2, "150000.00", "15000.00"),
        ("2026-03-16", "qualification", 1, "100000.00", "20000.00"),
        ("2026-03-16", "needs_analysis", 1, "50000.00", "20000.00"),
        ("2026-03-23", "needs_analysis", 1, "100000.00", "40000.00"),
        ("2026-03-30", "prospecting", 1, "30000.00", "3000.00"),
        ("2026-03-30", "needs_analysis", 1, "120000.00", "48000.00")]


@pytest.mark.integration
def test_the_forecast_by_category_of_the_quarter_at_the_end_of_each_week(
        engine: sa.Engine) -> None:
    project(engine, month_of_deals().events)
    quarter = fiscal_quarter_of(WEEKS[-1], DEFAULT_RULES.fiscal)
    assert [(day.isoformat(), category, n, str(amount)) for day, category, n, amount
            in forecast_trend(engine, WEEKS, quarter)] == [
        ("2026-03-02", "pipeline", 1, "100000.00"),
        ("2026-03-09", "pipeline", 1, "100000.00"),
        ("2026-03-16", "pipeline", 1, "100000.00"),
        ("2026-03-23", "best_case", 1, "100000.00"),
        ("2026-03-30", "pipeline", 1, "30000.00"),
        ("2026-03-30", "best_case", 1, "120000.00")]


def test_the_trend_options_of_the_command_line() -> None:
    assert parse_days("2026-03-02", "2026-03-30") == WEEKS
    assert parse_days(None, "2026-03-30", "14") == [
        date(2026, 1, 5), date(2026, 1, 19), date(2026, 2, 2), date(2026, 2, 16),
        date(2026, 3, 2), date(2026, 3, 16), date(2026, 3, 30)]
    assert parse_days("2026-03-28", None, today=date(2026, 3, 30)) == [
        date(2026, 3, 28), date(2026, 3, 30)]
    fiscal = DEFAULT_RULES.fiscal
    assert parse_closing(date(2026, 3, 30), None, None, fiscal=fiscal) == (
        date(2026, 1, 1), date(2026, 4, 1))
    assert parse_closing(date(2026, 3, 30), "2026-03-01", "2026-03-31", fiscal=fiscal) == (
        date(2026, 3, 1), date(2026, 4, 1))
    for bad in (("2026-03-30", "2026-03-02", "week"), ("x", None, "week"),
                ("2026-03-02", "2026-03-30", "fortnight")):
        with pytest.raises(ValueError):
            parse_days(*bad)
    for every in ("0", "²", "-7"):  # a digit that int() refuses is refused with the reason
        with pytest.raises(ValueError, match="--every must be week or a number of days"):
            parse_days("2026-03-02", "2026-03-30", every)


@pytest.mark.integration
def test_crm_report_forecast_trend_on_the_command_line(
        engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    project(engine, month_of_deals().events)
    monkeypatch.setattr(bootstrap, "bootstrap", lambda: SimpleNamespace(
        engine=engine, rules=DEFAULT_RULES))
    shown = CliRunner().invoke(app, ["report", "forecast-trend", "--from", "2026-03-16",
                                     "--to", "2026-03-30", "--format", "csv"])
    assert shown.exit_code == 0, shown.output
    assert shown.output == (
        "as_of,forecast_category,opportunity_count,amount\n"
        "2026-03-16,pipeline,1,100000.00\n2026-03-23,best_case,1,100000.00\n"
        "2026-03-30,pipeline,1,30000.00\n2026-03-30,best_case,1,120000.00\n")
    table = CliRunner().invoke(app, ["report", "pipeline-trend", "--from", "2026-03-30",
                                     "--to", "2026-03-30"], env={"COLUMNS": "200"})
    assert "needs_analysis" in table.output and "120000.00" in table.output
