"""A rep's won and lost deals by year: the performance rows, rolled over at year end."""

from __future__ import annotations

from decimal import Decimal

from domain.calendars.fiscal import fiscal_year, next_fiscal_year_start
from domain.kernel.context import Context, require
from domain.kernel.messages import money
from domain.kernel.records import updated
from domain.kernel.rulebook import on_timer
from domain.sales_org.messages import (
    RepPerformanceUpdated,
)
from domain.sales_org.org_chart import REP, SalesRep, get_rep, reporting_chain

_YTD_TIMER = "rep_ytd_rollover"


def record_rep_deal(ctx: Context, sales_rep_id: str, amount: Decimal, won: bool) -> None:
    """Count a closed deal for the rep and everyone above them; absolute fiscal-YTD figures.

    A won deal adds `amount` to ytd_revenue and one to ytd_deals_closed; a lost deal only
    lowers the win rate. The deal also counts for the rep's manager, that manager's
    manager and so on up the reporting chain (manager_id), so a manager's, director's or
    VP's figures are their team's (plus their own deals), measured against their team
    quota. Figures restart with the fiscal year of the event time (FiscalRules).
    """
    rep: SalesRep = require(ctx, REP, sales_rep_id)
    year = fiscal_year(ctx.now.date(), ctx.rules.fiscal)
    for member in reporting_chain(ctx.state, rep):
        _add_deal(ctx, member, year, amount, won)


def _add_deal(ctx: Context, rep: SalesRep, year: int, amount: Decimal, won: bool) -> None:
    if rep.year != year:
        rep = updated(rep, year=year, won=0, lost=0, revenue=Decimal(0))
        ctx.schedule(next_fiscal_year_start(ctx.now, ctx.rules.fiscal), _YTD_TIMER,
                     rep.sales_rep_id)
    won_n, lost_n = rep.won + (1 if won else 0), rep.lost + (0 if won else 1)
    revenue = rep.revenue + (money(amount) if won else Decimal(0))
    _emit_performance(ctx, rep.sales_rep_id, year, won_n, lost_n, revenue)


def _emit_performance(ctx: Context, rep_id: str, year: int, won: int, lost: int,
                      revenue: Decimal) -> None:
    closed = won + lost
    ctx.emit(RepPerformanceUpdated, rep_id, ytd_revenue=revenue, ytd_deals_closed=won,
             ytd_deals_lost=lost,
             win_rate_pct=money(Decimal(won * 100) / closed) if closed else None,
             avg_deal_size=money(revenue / won) if won else None, performance_year=year)


@on_timer(_YTD_TIMER)
def _rep_year_closed(ctx: Context, sales_rep_id: str) -> None:
    """When a fiscal year begins the YTD figures restart from zero (stale timers: nothing)."""
    rep = get_rep(ctx.state, sales_rep_id)
    year = fiscal_year(ctx.now.date(), ctx.rules.fiscal)
    if rep is not None and rep.year < year:
        _emit_performance(ctx, sales_rep_id, year, 0, 0, Decimal(0))
