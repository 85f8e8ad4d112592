"""Account teams: several sales reps per account, each in a role.

Team membership is part of the account aggregate (its events write the
account_team_members rows), so a team member row is only ever written by its account."""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts.entities import Account
from domain.accounts.messages import (
    AccountTeamMemberAdded,
    AccountTeamMemberRemoved,
    AddAccountTeamMember,
    RemoveAccountTeamMember,
)
from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles
from domain.sales_org.org_chart import get_rep


@dataclass(frozen=True)
class TeamMember:
    """One active membership."""

    team_member_id: str
    sales_rep_id: str
    team_role: str


@handles(AddAccountTeamMember)
def add_team_member(ctx: Context, cmd: AddAccountTeamMember) -> None:
    """Add a rep; the rep must exist, and the same rep in the same role only once."""
    account = require(ctx, "account", cmd.aggregate_id)
    if get_rep(ctx.state, cmd.sales_rep_id) is None:
        raise Rejected(f"sales rep {cmd.sales_rep_id} does not exist")
    if any(m.sales_rep_id == cmd.sales_rep_id and m.team_role == cmd.team_role
           for m in account.team):
        raise Rejected(f"sales rep {cmd.sales_rep_id} is already {cmd.team_role} "
                       f"of account {account.account_id}")
    ctx.emit(AccountTeamMemberAdded, cmd.aggregate_id,
             team_member_id=ctx.new_id("ATM", cmd.sales_rep_id), sales_rep_id=cmd.sales_rep_id,
             team_role=cmd.team_role, access_level=cmd.access_level,
             start_date=cmd.start_date or ctx.now.date())


@handles(RemoveAccountTeamMember)
def remove_team_member(ctx: Context, cmd: RemoveAccountTeamMember) -> None:
    """Remove an active team member of this account."""
    account = require(ctx, "account", cmd.aggregate_id)
    if all(m.team_member_id != cmd.team_member_id for m in account.team):
        raise Rejected(f"team member {cmd.team_member_id} is not active on account "
                       f"{account.account_id}")
    ctx.emit(AccountTeamMemberRemoved, cmd.aggregate_id, team_member_id=cmd.team_member_id,
             end_date=cmd.end_date or ctx.now.date())


@evolves(AccountTeamMemberAdded)
def _added(a: Account, e: AccountTeamMemberAdded) -> Account:
    return updated(a, team=(*a.team, TeamMember(e.team_member_id, e.sales_rep_id, e.team_role)))


@evolves(AccountTeamMemberRemoved)
def _removed(a: Account, e: AccountTeamMemberRemoved) -> Account:
    return updated(a, team=tuple(m for m in a.team if m.team_member_id != e.team_member_id))
