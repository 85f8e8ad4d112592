"""Sales organisation commands and events (rules in domain.sales_org.org_chart)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from domain.kernel.messages import BigMoney, Command, Date, Doc, Event, Money, Opt, Percent, Text

SalesRole = Literal["SDR", "AE", "AM", "SE", "Manager", "Director", "VP"]
RepStatus = Literal["active", "inactive", "on_leave"]
AccountTier = Literal["strategic", "key", "standard"]
CompanySize = Literal["startup", "small", "medium", "large", "enterprise"]


class DefineTerritory(Command):
    """Define a sales territory: the geography, industries and sizes it covers."""

    AGGREGATE = "territory"

    territory_code: str = Text(50, "Unique code; also breaks ties between territories")
    territory_name: str = Text(200)
    countries: list[str] = Field(default_factory=list, description="Empty = any country")
    states: list[str] = Field(default_factory=list, description="Empty = any state")
    cities: list[str] = Field(default_factory=list, description="Empty = any city")
    industries: list[str] = Field(default_factory=list, description="Empty = any industry")
    account_tiers: list[AccountTier] = Field(default_factory=list)
    company_size: list[CompanySize] = Field(default_factory=list, description="Empty = any")
    territory_quota: BigMoney | None = Opt(description="INR per year")
    territory_manager: str | None = Opt(50, "sales_rep_id of the manager")


class TerritoryDefined(Event):
    """A territory was defined."""

    AGGREGATE = "territory"

    territory_code: str = Text(50)
    territory_name: str = Text(200)
    countries: list[str] = Field(default_factory=list)
    states: list[str] = Field(default_factory=list)
    cities: list[str] = Field(default_factory=list)
    industries: list[str] = Field(default_factory=list)
    account_tiers: list[AccountTier] = Field(default_factory=list)
    company_size: list[CompanySize] = Field(default_factory=list)
    territory_quota: BigMoney | None = Opt()
    territory_manager: str | None = Opt(50)


class HireSalesRep(Command):
    """Onboard a sales rep into a role and (optionally) a territory."""

    AGGREGATE = "sales_rep"

    first_name: str = Text(100)
    last_name: str = Text(100)
    sales_role: SalesRole
    employee_id: str | None = Opt(50)
    email: str | None = Opt(100)
    phone: str | None = Opt(50)
    mobile: str | None = Opt(50)
    job_title: str | None = Opt(100)
    territory_id: str | None = Opt(50)
    manager_id: str | None = Opt(50)
    annual_quota: BigMoney | None = Opt()
    quarterly_quota: BigMoney | None = Opt()
    hire_date: Date | None = Opt(description="Defaults to the day of the command")


class SalesRepHired(Event):
    """A sales rep joined (status active)."""

    AGGREGATE = "sales_rep"

    rep_code: str = Text(50, "REP-000001")
    first_name: str = Text(100)
    last_name: str = Text(100)
    sales_role: SalesRole
    employee_id: str | None = Opt(50)
    email: str | None = Opt(100)
    phone: str | None = Opt(50)
    mobile: str | None = Opt(50)
    job_title: str | None = Opt(100)
    territory_id: str | None = Opt(50)
    manager_id: str | None = Opt(50)
    annual_quota: BigMoney | None = Opt()
    quarterly_quota: BigMoney | None = Opt()
    hire_date: Date


class SetRepQuota(Command):
    """Set a rep's annual and quarterly quota."""

    AGGREGATE = "sales_rep"

    annual_quota: BigMoney = Doc("INR", ge=0)
    quarterly_quota: BigMoney = Doc("INR", ge=0)


class RepQuotaSet(Event):
    """A rep's quota changed."""

    AGGREGATE = "sales_rep"

    annual_quota: BigMoney
    quarterly_quota: BigMoney


class ChangeRepStatus(Command):
    """Mark a rep active, on leave or inactive (left the company)."""

    AGGREGATE = "sales_rep"

    rep_status: RepStatus


class RepStatusChanged(Event):
    """A rep's status changed; only active reps receive leads."""

    AGGREGATE = "sales_rep"

    rep_status: RepStatus
    is_active: bool


class RepPerformanceUpdated(Event):
    """Absolute fiscal-year-to-date figures after a deal closed (or a fiscal year began).

    A manager's, director's or VP's figures include every deal of their reporting chain.
    """

    AGGREGATE = "sales_rep"

    ytd_revenue: BigMoney = Doc("Won this fiscal year (own deals and the team's)")
    ytd_deals_closed: int = Doc("Deals won this fiscal year (own and team)", ge=0)
    ytd_deals_lost: int = Doc("Deals lost this fiscal year (for the win rate)", ge=0)
    win_rate_pct: Percent | None = Opt(description="won / (won + lost) * 100, this fiscal year")
    avg_deal_size: Money | None = Opt(description="ytd_revenue / deals won")
    performance_year: int = Doc("Fiscal year the figures belong to (FiscalRules)")
