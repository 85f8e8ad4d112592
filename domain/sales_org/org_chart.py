"""Sales organisation: territories and sales reps (quotas, status, performance).

Territories (aggregate `territory`) and reps (aggregate `sales_rep`) share the
crm.sales-org topic; their messages are in `domain.sales_org.messages`. Reps are few, so
the lookups below scan them in `rep_code` order, which is hire order: every choice
(round-robin, approver) is therefore deterministic."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles
from domain.kernel.state import CrmState
from domain.sales_org.messages import (
    ChangeRepStatus,
    DefineTerritory,
    HireSalesRep,
    RepPerformanceUpdated,
    RepQuotaSet,
    RepStatusChanged,
    SalesRepHired,
    SetRepQuota,
    TerritoryDefined,
)

REP = "sales_rep"
TERRITORY = "territory"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Territory:
    """A territory's matching criteria (lists are case-folded for matching)."""

    territory_id: str
    territory_code: str
    criteria: tuple[tuple[str, ...], ...]  # countries, states, cities, industries, sizes
    manager: str | None = None
    is_active: bool = True


@dataclass(frozen=True)
class SalesRep:
    """What the assignment, approval and performance rules need about a rep."""

    sales_rep_id: str
    rep_code: str
    sales_role: str
    territory_id: str | None
    manager_id: str | None
    rep_status: str = "active"
    year: int = 0
    won: int = 0
    lost: int = 0
    revenue: Decimal = Decimal(0)

    @property
    def active(self) -> bool:
        """Only active reps get leads or approvals."""
        return self.rep_status == "active"


def territory_matches(territory: Territory, values: tuple[str | None, ...]) -> int | None:
    """Specificity (number of constrained criteria) if the lead fits, else None.

    `values` are the lead's country, state, city, industry and company size. A criterion
    with an empty list accepts anything; a non-empty list must contain the value.
    """
    specificity = 0
    for allowed, value in zip(territory.criteria, values, strict=True):
        if not allowed:
            continue
        if value is None or value.casefold() not in allowed:
            return None
        specificity += 1
    return specificity


def best_territory(state: CrmState, values: tuple[str | None, ...]) -> Territory | None:
    """The most specific active territory matching; ties go to the lowest territory_code."""
    best: tuple[int, str] | None = None
    found: Territory | None = None
    for t in _all(state, Territory):
        score = territory_matches(t, values) if t.is_active else None
        if score is not None and (best is None or (-score, t.territory_code) < best):
            best, found = (-score, t.territory_code), t
    return found


def active_reps(state: CrmState, roles: tuple[str, ...], territory_id: str | None = None,
                any_territory: bool = False) -> list[SalesRep]:
    """Active reps with one of `roles` (of `territory_id` unless any_territory), by rep_code."""
    reps = [r for r in _all(state, SalesRep) if r.active and r.sales_role in roles
            and (any_territory or r.territory_id == territory_id)]
    return sorted(reps, key=lambda r: r.rep_code)


def rep_manager(state: CrmState, sales_rep_id: str) -> str | None:
    """The rep's manager id, if the rep exists and has one."""
    rep = get_rep(state, sales_rep_id)
    return rep.manager_id if rep else None


def rep_with_role(state: CrmState, role: str, territory_id: str | None) -> str | None:
    """An active rep with `role`: first in the territory, else anywhere (lowest rep_code)."""
    if territory_id is not None:
        local = active_reps(state, (role,), territory_id)
        if local:
            return local[0].sales_rep_id
    anywhere = active_reps(state, (role,), any_territory=True)
    return anywhere[0].sales_rep_id if anywhere else None


def get_rep(state: CrmState, sales_rep_id: str | None) -> SalesRep | None:
    """The rep with this id, or None."""
    return state.get(REP, sales_rep_id) if sales_rep_id else None


def reporting_chain(state: CrmState, rep: SalesRep) -> list[SalesRep]:
    """The rep, their manager, that manager's manager... (a cycle is followed once)."""
    chain: list[SalesRep] = []
    current: SalesRep | None = rep
    while current is not None and current not in chain:
        chain.append(current)
        current = get_rep(state, current.manager_id)
    return chain


@handles(DefineTerritory)
def define_territory(ctx: Context, cmd: DefineTerritory) -> None:
    """Define a territory; ids and codes are unique."""
    if ctx.get(TERRITORY, cmd.aggregate_id) is not None:
        raise Rejected(f"territory {cmd.aggregate_id} already exists")
    if any(t.territory_code == cmd.territory_code for t in _all(ctx.state, Territory)):
        raise Rejected(f"territory code {cmd.territory_code} already exists")
    ctx.emit(TerritoryDefined, cmd.aggregate_id, **cmd.payload())


@handles(HireSalesRep)
def hire_sales_rep(ctx: Context, cmd: HireSalesRep) -> None:
    """Hire a rep; the territory and the manager, when given, must exist."""
    if ctx.get(REP, cmd.aggregate_id) is not None:
        raise Rejected(f"sales rep {cmd.aggregate_id} already exists")
    if cmd.territory_id and ctx.get(TERRITORY, cmd.territory_id) is None:
        raise Rejected(f"territory {cmd.territory_id} does not exist")
    if cmd.manager_id and get_rep(ctx.state, cmd.manager_id) is None:
        raise Rejected(f"manager {cmd.manager_id} is not a sales rep")
    fields = cmd.payload()
    fields["hire_date"] = cmd.hire_date or ctx.now.date()
    ctx.emit(SalesRepHired, cmd.aggregate_id, rep_code=ctx.next_number("REP"), **fields)


@handles(SetRepQuota)
def set_rep_quota(ctx: Context, cmd: SetRepQuota) -> None:
    """Set a rep's quota."""
    require(ctx, REP, cmd.aggregate_id)
    ctx.emit(RepQuotaSet, cmd.aggregate_id, **cmd.payload())


@handles(ChangeRepStatus)
def change_rep_status(ctx: Context, cmd: ChangeRepStatus) -> None:
    """Change a rep's status; setting the current status again changes nothing."""
    rep = require(ctx, REP, cmd.aggregate_id)
    if rep.rep_status != cmd.rep_status:
        ctx.emit(RepStatusChanged, cmd.aggregate_id, rep_status=cmd.rep_status,
                 is_active=cmd.rep_status != "inactive")


def _all(state: CrmState, kind: type[_T]) -> list[_T]:
    return list(state.store(REP if kind is SalesRep else TERRITORY).values())


def _folded(values: list[str]) -> tuple[str, ...]:
    return tuple(sorted({v.casefold() for v in values}))


@evolves(TerritoryDefined)
def _territory_defined(_: None, e: TerritoryDefined) -> Territory:
    criteria = tuple(_folded(v) for v in (e.countries, e.states, e.cities, e.industries,
                                          list(e.company_size)))
    return Territory(e.aggregate_id, e.territory_code, criteria, e.territory_manager)


@evolves(SalesRepHired)
def _rep_hired(_: None, e: SalesRepHired) -> SalesRep:
    return SalesRep(e.aggregate_id, e.rep_code, e.sales_role, e.territory_id, e.manager_id)


@evolves(RepStatusChanged)
def _rep_status(rep: SalesRep, e: RepStatusChanged) -> SalesRep:
    return updated(rep, rep_status=e.rep_status)


@evolves(RepPerformanceUpdated)
def _rep_performance(rep: SalesRep, e: RepPerformanceUpdated) -> SalesRep:
    return updated(rep, year=e.performance_year, won=e.ytd_deals_closed,
                   lost=e.ytd_deals_lost, revenue=e.ytd_revenue)
