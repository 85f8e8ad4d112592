"""An account's won revenue: the year to date and the years before, rolled over when
the fiscal year closes.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.accounts.entities import Account, get_account
from domain.accounts.messages import (
    AccountRevenueRecorded,
    AccountRevenueYearClosed,
)
from domain.calendars.fiscal import fiscal_year, next_fiscal_year_start
from domain.kernel.context import Context, Rejected, require
from domain.kernel.messages import money
from domain.kernel.rulebook import on_timer

_YTD_TIMER = "account_ytd_rollover"


def record_account_revenue(ctx: Context, account_id: str, amount: Decimal, on: date) -> None:
    """Add revenue: lifetime value accumulates, ytd restarts per fiscal year of event time.

    The account becomes an active customer; customer_since is the first purchase date.
    """
    account: Account = require(ctx, "account", account_id)
    if amount <= 0:
        raise Rejected(f"revenue for account {account_id} must be positive, got {amount}")
    year = fiscal_year(ctx.now.date(), ctx.rules.fiscal)  # FiscalRules: April-March
    ytd, last_year = _rolled(account, year)
    if account.revenue_year != year:
        ctx.schedule(next_fiscal_year_start(ctx.now, ctx.rules.fiscal), _YTD_TIMER, account_id)
    amount = money(amount)
    ctx.emit(AccountRevenueRecorded, account_id, amount=amount,
             lifetime_value=account.lifetime_value + amount, ytd_revenue=ytd + amount,
             last_year_revenue=last_year, revenue_year=year,
             last_purchase_date=max(on, account.last_purchase_date or on),
             customer_since=min(on, account.customer_since or on))


def _rolled(account: Account, year: int) -> tuple[Decimal, Decimal]:
    """(ytd, last fiscal year's revenue) as seen from fiscal `year`."""
    if account.revenue_year == year:
        return account.ytd_revenue, account.last_year_revenue
    last = account.ytd_revenue if account.revenue_year == year - 1 else Decimal(0)
    return Decimal(0), last


@on_timer(_YTD_TIMER)
def _year_closed(ctx: Context, account_id: str) -> None:
    """When a fiscal year begins ytd_revenue restarts (a stale timer finds nothing to do)."""
    account = get_account(ctx.state, account_id)
    year = fiscal_year(ctx.now.date(), ctx.rules.fiscal)
    if account is not None and account.revenue_year < year:
        ytd, last = _rolled(account, year)
        ctx.emit(AccountRevenueYearClosed, account_id, ytd_revenue=ytd,
                 last_year_revenue=last, revenue_year=year)
