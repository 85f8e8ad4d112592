"""Sales organisation rules: territories, reps, approver lookups, rep performance."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from scenario import MINUTE, Scenario, of_type, rejection

from domain.calendars.fiscal import fiscal_quarter, fiscal_year
from domain.kernel.context import Rejected
from domain.kernel.messages import utc
from domain.kernel.records import updated
from domain.kernel.system import TickClock
from domain.rules_config import BusinessRules
from domain.sales_org.messages import (
    ChangeRepStatus,
    DefineTerritory,
    HireSalesRep,
    RepPerformanceUpdated,
    RepStatusChanged,
    SalesRepHired,
    SetRepQuota,
)
from domain.sales_org.org_chart import (
    Territory,
    best_territory,
    rep_manager,
    rep_with_role,
    territory_matches,
)
from domain.sales_org.performance import record_rep_deal


def deal(w: Scenario, rep: str, amount: str, won: bool,
         at: datetime | None = None) -> RepPerformanceUpdated:
    """Record a closed deal the way the opportunity rules do; the event it emitted."""
    events = w.run(lambda ctx: record_rep_deal(ctx, rep, Decimal(amount), won), at)
    return of_type(events, RepPerformanceUpdated)[0]


def test_rep_codes_follow_hire_order_and_refuse_unknown_territory_or_manager() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH")
    w.rep("R1", territory="T1")
    w.rep("R2", manager="R1")
    codes = [e.rep_code for e in of_type(w.events, SalesRepHired)]
    assert codes == ["REP-000001", "REP-000002"]
    assert rejection(w.send(HireSalesRep, "R3", first_name="A", last_name="B", sales_role="AE",
                            territory_id="T9")) == "territory T9 does not exist"
    assert rejection(w.send(HireSalesRep, "R3", first_name="A", last_name="B", sales_role="AE",
                            manager_id="R9")) == "manager R9 is not a sales rep"
    assert rejection(w.send(HireSalesRep, "R1", first_name="A", last_name="B",
                            sales_role="AE")) == "sales rep R1 already exists"


def test_territory_codes_are_unique() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH")
    assert rejection(w.send(DefineTerritory, "T2", territory_code="NORTH",
                            territory_name="Again")) == "territory code NORTH already exists"


def test_status_changes_and_quota() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    changed = of_type(w.ok(ChangeRepStatus, "R1", rep_status="on_leave"), RepStatusChanged)[0]
    assert changed.is_active is True
    assert w.ok(ChangeRepStatus, "R1", rep_status="on_leave") == []  # unchanged: nothing
    left = of_type(w.ok(ChangeRepStatus, "R1", rep_status="inactive"), RepStatusChanged)[0]
    assert left.is_active is False
    w.ok(SetRepQuota, "R1", annual_quota=Decimal("12000000"), quarterly_quota=Decimal("3000000"))
    assert rejection(w.send(SetRepQuota, "R9", annual_quota=Decimal(1),
                            quarterly_quota=Decimal(1))) == "sales rep R9 does not exist"


def test_approvers_are_found_in_the_territory_first_then_anywhere() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH")
    w.territory("T2", "SOUTH")
    w.rep("D1", "Director")
    w.rep("M2", "Manager", territory="T2")
    w.rep("M1", "Manager", territory="T1", manager="D1")
    w.rep("R1", territory="T1", manager="M1")
    assert rep_manager(w.state, "R1") == "M1"
    assert rep_manager(w.state, "D1") is None and rep_manager(w.state, "X") is None
    assert rep_with_role(w.state, "Manager", "T1") == "M1"
    assert rep_with_role(w.state, "Manager", None) == "M2"  # lowest rep_code anywhere
    assert rep_with_role(w.state, "Director", "T1") == "D1"
    assert rep_with_role(w.state, "VP", "T1") is None
    w.ok(ChangeRepStatus, "M1", rep_status="inactive")
    assert rep_with_role(w.state, "Manager", "T1") == "M2"


def test_rep_performance_is_absolute_year_to_date() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    first = deal(w, "R1", "100000", won=True)
    deal(w, "R1", "999", won=False)
    last = deal(w, "R1", "200001", won=True)
    assert (first.ytd_revenue, first.ytd_deals_closed, first.win_rate_pct) == (
        Decimal("100000.00"), 1, Decimal("100.00"))
    assert (last.ytd_revenue, last.ytd_deals_closed, last.ytd_deals_lost) == (
        Decimal("300001.00"), 2, 1)
    assert (last.win_rate_pct, last.avg_deal_size) == (Decimal("66.67"), Decimal("150000.50"))


def test_a_lost_deal_alone_gives_zero_win_rate_and_no_average() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    perf = deal(w, "R1", "5000", won=False)
    assert (perf.ytd_revenue, perf.win_rate_pct, perf.avg_deal_size) == (
        Decimal(0), Decimal("0.00"), None)


def test_year_to_date_figures_restart_when_the_fiscal_year_begins_on_1_april() -> None:
    w = Scenario(start=utc(2026, 12, 30), step=MINUTE)
    w.rep("R1")
    first = deal(w, "R1", "50000", won=True)
    assert first.performance_year == 2027  # FY2027 = April 2026 - March 2027
    assert of_type(w.send(TickClock, "clock", occurred_at=utc(2027, 1, 1, 0, 30)),
                   RepPerformanceUpdated) == []  # 1 January is mid fiscal year
    january = deal(w, "R1", "1000", won=True, at=utc(2027, 1, 2))
    assert (january.ytd_revenue, january.performance_year) == (Decimal("51000.00"), 2027)
    rolled = w.send(TickClock, "clock", occurred_at=utc(2027, 4, 1, 0, 30))
    reset = of_type(rolled, RepPerformanceUpdated)[0]
    assert (reset.ytd_revenue, reset.ytd_deals_closed, reset.performance_year) == (
        Decimal(0), 0, 2028)
    after = deal(w, "R1", "7000", won=True, at=utc(2027, 4, 2))
    assert after.ytd_revenue == Decimal("7000.00")


def test_a_calendar_fiscal_year_is_configurable() -> None:
    rules = BusinessRules.from_mapping({"fiscal": {"fiscal_year_start_month": 1}})
    assert (fiscal_year(date(2026, 12, 31), rules.fiscal),
            fiscal_year(date(2027, 1, 1), rules.fiscal)) == (2026, 2027)
    assert [fiscal_quarter(date(2026, m, 1), rules.fiscal) for m in (1, 4, 7, 10)] == [
        1, 2, 3, 4]


def test_fiscal_quarters_run_april_to_march() -> None:
    fiscal = BusinessRules().fiscal
    assert [(fiscal_year(date(y, m, 1), fiscal), fiscal_quarter(date(y, m, 1), fiscal))
            for y, m in ((2026, 3), (2026, 4), (2026, 6), (2026, 7), (2026, 10), (2027, 1))
            ] == [(2026, 4), (2027, 1), (2027, 1), (2027, 2), (2027, 3), (2027, 4)]


def test_managers_directors_and_the_vp_roll_up_their_teams_deals() -> None:
    w = Scenario(step=MINUTE)
    w.rep("VP1", "VP")
    w.rep("D1", "Director", manager="VP1")
    w.rep("M1", "Manager", manager="D1")
    w.rep("M2", "Manager", manager="D1")
    w.rep("R1", manager="M1")
    w.rep("R2", manager="M2")
    deal(w, "R1", "100000", won=True)
    deal(w, "R2", "40000", won=True)
    deal(w, "R2", "9999", won=False)
    deal(w, "M1", "10000", won=True)  # a manager's own deal counts for him and above
    latest = {e.aggregate_id: e for e in of_type(w.events, RepPerformanceUpdated)}
    figures = {rep: (e.ytd_revenue, e.ytd_deals_closed, e.ytd_deals_lost)
               for rep, e in latest.items()}
    assert figures == {
        "R1": (Decimal("100000.00"), 1, 0),
        "R2": (Decimal("40000.00"), 1, 1),
        "M1": (Decimal("110000.00"), 2, 0),
        "M2": (Decimal("40000.00"), 1, 1),
        "D1": (Decimal("150000.00"), 3, 1),
        "VP1": (Decimal("150000.00"), 3, 1),
    }
    assert latest["D1"].win_rate_pct == Decimal("75.00")


def test_a_cycle_in_the_reporting_chain_counts_each_rep_once() -> None:
    w = Scenario(step=MINUTE)
    w.rep("A")
    w.rep("B", manager="A")
    w.state.store("sales_rep")["A"] = updated(w.state.get("sales_rep", "A"), manager_id="B")
    deal(w, "B", "100", won=True)
    assert [e.aggregate_id for e in of_type(w.events, RepPerformanceUpdated)] == ["B", "A"]


# -- pinned by mutation testing (issue 21) ---------------------------------------------


def test_a_territory_match_counts_the_criteria_it_constrains() -> None:
    north = Territory("T1", "NORTH", (("india",), (), ("pune", "mumbai"), (), ()))
    assert territory_matches(north, ("India", "MH", "Pune", "auto", "large")) == 2
    assert territory_matches(north, ("India", None, None, None, None)) is None
    anywhere = Territory("T0", "ANY", ((), (), (), (), ()))
    assert territory_matches(anywhere, (None, None, None, None, None)) == 0
    with pytest.raises(ValueError):  # a lead's values are always all five criteria
        territory_matches(north, ("India", "MH", "Pune", "auto"))


def test_the_new_year_restart_clears_lost_deals_too() -> None:
    w = Scenario(start=utc(2027, 3, 1), step=MINUTE)
    w.rep("R1")
    deal(w, "R1", "500", won=False)
    reset = of_type(w.send(TickClock, "clock", occurred_at=utc(2027, 4, 1, 0, 30)),
                    RepPerformanceUpdated)[0]
    assert (reset.ytd_deals_closed, reset.ytd_deals_lost, reset.win_rate_pct,
            reset.avg_deal_size, reset.performance_year) == (0, 0, None, None, 2028)


def test_a_deal_booked_in_the_new_year_before_its_first_tick_is_not_wiped_by_the_restart() -> None:
    w = Scenario(start=utc(2027, 3, 1), step=MINUTE)
    w.rep("R1")
    deal(w, "R1", "500", won=True)
    early = deal(w, "R1", "800", won=True, at=utc(2027, 4, 1, 0, 10))
    assert (early.ytd_revenue, early.performance_year) == (Decimal("800.00"), 2028)
    assert of_type(w.send(TickClock, "clock", occurred_at=utc(2027, 4, 1, 0, 30)),
                   RepPerformanceUpdated) == []


def test_the_first_deal_of_a_new_year_starts_from_zero_even_before_the_restart_tick() -> None:
    w = Scenario(start=utc(2027, 3, 1), step=MINUTE)
    w.rep("R1")
    deal(w, "R1", "500", won=True)
    deal(w, "R1", "300", won=False)
    first = deal(w, "R1", "800", won=True, at=utc(2027, 4, 1, 0, 10))
    assert (first.ytd_revenue, first.ytd_deals_closed, first.ytd_deals_lost,
            first.performance_year) == (Decimal("800.00"), 1, 0, 2028)
    lost = deal(w, "R1", "100", won=False, at=utc(2028, 4, 1, 0, 10))
    assert (lost.ytd_revenue, lost.ytd_deals_closed, lost.ytd_deals_lost) == (Decimal(0), 0, 1)


def test_a_deal_for_an_unknown_rep_is_refused_by_name() -> None:
    with pytest.raises(Rejected, match="^sales rep R9 does not exist$"):
        deal(Scenario(step=MINUTE), "R9", "1", won=True)


def test_the_most_specific_territory_wins_ties_go_to_the_lowest_code_and_none_may_match() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "WEST", countries=["India"])
    w.territory("T2", "PUNE", countries=["India"], cities=["Pune"])
    w.territory("T3", "APUNE", countries=["India"], cities=["pune"])
    lead = ("india", None, "PUNE", None, None)
    assert best_territory(w.state, lead).territory_id == "T3"  # 2 criteria; APUNE < PUNE
    assert best_territory(w.state, ("India", None, "Nashik", None, None)).territory_id == "T1"
    assert best_territory(w.state, ("Nepal", None, None, None, None)) is None


def test_a_territory_id_in_use_is_refused_whatever_its_code() -> None:
    w = Scenario(step=MINUTE)
    w.territory("T1", "NORTH")
    assert rejection(w.send(DefineTerritory, "T1", territory_code="SOUTH",
                            territory_name="South")) == "territory T1 already exists"
