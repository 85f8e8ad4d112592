"""Where a backfill's history ends: today stops at the last tick at or before now.

Plan arithmetic with a fake "now", no servers; one small generation shows that nothing in a
history cut at a tick is stamped after it, and that it is the start of the whole day's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from backfill import run as backfill_run
from backfill.generate import CYCLE, BackfillPlan, generate, last_tick, same_day_run
from backfill.run import simulation_factory
from crm import bootstrap
from crm.cli import app
from events.codec import AvroCodec

NOW = datetime(2026, 11, 27, 14, 17, 5, 250_000, tzinfo=UTC)
IST = timezone(timedelta(hours=5, minutes=30))


@pytest.mark.parametrize(("moment", "tick"), [
    (datetime(2026, 11, 27, 14, 29, 59, 999_999, tzinfo=UTC), datetime(2026, 11, 27, 14, 0)),
    (datetime(2026, 11, 27, 14, 30, tzinfo=UTC), datetime(2026, 11, 27, 14, 30)),
    (datetime(2026, 11, 27, 14, 30, 0, 1, tzinfo=UTC), datetime(2026, 11, 27, 14, 30)),
    (datetime(2026, 11, 27, 0, 0, tzinfo=UTC), datetime(2026, 11, 27, 0, 0)),
    (datetime(2026, 11, 27, 23, 59, 59, tzinfo=UTC), datetime(2026, 11, 27, 23, 30)),
    (datetime(2026, 11, 28, 1, 15, tzinfo=IST), datetime(2026, 11, 27, 19, 30)),  # 19:45 UTC
])
def test_the_last_tick_is_the_half_hour_at_or_before_the_moment_in_utc(
        moment: datetime, tick: datetime) -> None:
    assert last_tick(moment) == tick.replace(tzinfo=UTC)


def test_the_default_end_is_now_rounded_down_to_the_tick() -> None:
    plan = BackfillPlan.ending(180, 7, None, 1.0, now=NOW)
    assert (plan.end_date, plan.until) == (date(2026, 11, 27), datetime(2026, 11, 27, 14, 0,
                                                                        tzinfo=UTC))
    assert plan.end == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert plan.start == datetime(2026, 6, 1, tzinfo=UTC)  # 180 days before tonight
    assert int((plan.end - plan.start) / CYCLE) == 179 * 48 + 28
    assert plan.run_id == "seed7-end20261127T1400-days180-scale1"
    assert BackfillPlan.ending(180, 7, date(2026, 11, 27), 1.0, now=NOW) == plan


def test_just_after_midnight_today_holds_nothing_yet() -> None:
    plan = BackfillPlan.ending(2, 7, None, 0.5, now=datetime(2026, 11, 27, 0, 10, tzinfo=UTC))
    assert plan.end == datetime(2026, 11, 27, tzinfo=UTC)
    assert plan.start == datetime(2026, 11, 26, tzinfo=UTC)
    assert plan.run_id == "seed7-end20261127T0000-days2-scale0.5"


def test_a_past_end_date_ends_at_the_end_of_that_day_whenever_the_command_runs() -> None:
    plans = {BackfillPlan.ending(90, 7, date(2026, 11, 26), 1.0, now=now)
             for now in (NOW, NOW + timedelta(hours=9), NOW + timedelta(days=40))}
    assert plans == {BackfillPlan(90, 7, date(2026, 11, 26), 1.0)}
    plan = plans.pop()
    assert (plan.until, plan.end) == (None, datetime(2026, 11, 27, tzinfo=UTC))
    assert plan.start == datetime(2026, 8, 29, tzinfo=UTC)
    assert plan.run_id == "seed7-end20261126-days90-scale1"


def test_an_end_date_in_the_future_is_refused() -> None:
    with pytest.raises(ValueError, match="the end date 2026-11-28 is in the future "
                                         r"\(today is 2026-11-27, UTC\)"):
        BackfillPlan.ending(180, 7, date(2026, 11, 28), 1.0, now=NOW)


@pytest.mark.parametrize("until", [
    datetime(2026, 11, 27, 14, 15, tzinfo=UTC),  # not a tick
    datetime(2026, 11, 27, 14, 0, 1, tzinfo=UTC),
    datetime(2026, 11, 27, 14, 0),  # naive
    datetime(2026, 11, 26, 23, 30, tzinfo=UTC),  # the day before
    datetime(2026, 11, 28, 0, 0, tzinfo=UTC),  # that is the end of the day: no cut
])
def test_a_cut_must_be_a_tick_within_the_end_date(until: datetime) -> None:
    with pytest.raises(ValueError, match="is not a 30-minute tick"):
        BackfillPlan(180, 7, date(2026, 11, 27), 1.0, until)


def test_a_rerun_today_keeps_the_cut_of_the_run_started_earlier_today(tmp_path: Path) -> None:
    later = BackfillPlan.ending(180, 7, None, 1.0, now=NOW + timedelta(hours=3))
    assert same_day_run(tmp_path, later) == later  # no run yet
    (tmp_path / "backfill" / "seed7-end20261127T-0-days180-scale1").mkdir(parents=True)
    assert same_day_run(tmp_path, later) == later  # not a run of ours
    runs = tmp_path / "backfill"
    for name in ("seed7-end20261127T1400-days180-scale1", "seed7-end20261127T0930-days180-scale1",
                 "seed8-end20261127T0800-days180-scale1", "seed7-end20261127T0700-days90-scale1",
                 "seed7-end20261126-days180-scale1", "seed7-end20261127T-x-days180-scale1"):
        (runs / name).mkdir(parents=True)
    resumed = same_day_run(tmp_path, later)
    assert resumed.until == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
    assert resumed.run_id == "seed7-end20261127T0930-days180-scale1"
    past = BackfillPlan(180, 7, date(2026, 11, 26))
    assert same_day_run(tmp_path, past) == past


def test_crm_backfill_plans_today_up_to_now_and_refuses_a_future_end_date(
        monkeypatch: pytest.MonkeyPatch) -> None:
    planned: list[BackfillPlan] = []
    monkeypatch.setattr(bootstrap, "bootstrap", lambda: None)
    monkeypatch.setattr(backfill_run, "run_backfill", lambda _s, plan, *_: planned.append(plan))
    before = datetime.now(UTC)
    assert CliRunner().invoke(app, ["backfill", "--days", "3", "--seed", "9"]).exit_code == 0
    after = datetime.now(UTC)
    (plan,) = planned
    assert plan.end_date in (before.date(), after.date())
    assert plan.until is not None and last_tick(before) <= plan.until <= after
    assert (plan.days, plan.seed, plan.scale) == (3, 9, 1.0)
    refused = CliRunner().invoke(app, ["backfill", "--end-date", "2999-01-01"])
    assert refused.exit_code == 2 and "is in the future" in refused.output
    assert len(planned) == 1


class Records:
    """A record sink that keeps what it is sent."""

    def __init__(self) -> None:
        self.values: list[bytes] = []

    def send_all(self, records: Sequence[tuple[str, str, bytes]]) -> None:
        self.values.extend(value for _, _, value in records)

    def finish(self) -> None:
        pass


def test_a_history_cut_at_a_tick_stamps_nothing_later_and_begins_the_whole_day(
        tmp_path: Path) -> None:
    cut = BackfillPlan(1, 5, date(2026, 3, 31), 0.2, datetime(2026, 3, 31, 9, 30, tzinfo=UTC))
    whole = BackfillPlan(1, 5, date(2026, 3, 31), 0.2)
    part, day = Records(), Records()
    generate(cut, tmp_path / "cut", simulation_factory("business"), sink=part)
    generate(whole, tmp_path / "whole", simulation_factory("business"), sink=day)
    codec = AvroCodec()
    stamps = [codec.decode(v).occurred_at for v in part.values]
    assert max(stamps) == cut.until  # the last TickClock, nothing after it
    assert min(stamps) > cut.start
    later = [codec.decode(v).occurred_at for v in day.values[len(part.values):]]
    assert later and min(later) > cut.until
    assert day.values[:len(part.values)] == part.values
