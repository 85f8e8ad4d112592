"""Who works a lead: round-robin in the best-matching territory, or assigned by hand."""

from __future__ import annotations

from domain.kernel.context import Context, Rejected
from domain.kernel.rulebook import handles
from domain.leads.entities import OPEN, Lead, require_lead
from domain.leads.messages import AssignLead, LeadAssigned
from domain.sales_org.org_chart import active_reps, best_territory, get_rep


def assign_lead(ctx: Context, lead_id: str) -> None:
    """Assign by territory round-robin, else overall round-robin, else leave unassigned."""
    lead: Lead = ctx.get("lead", lead_id)
    f = lead.facts
    values = (f.country, f.state, f.city, f.industry, f.company_size) if f else (None,) * 5
    roles = ctx.rules.leads.assignable_roles
    territory = best_territory(ctx.state, values)
    pool = active_reps(ctx.state, roles, territory.territory_id) if territory else []
    if pool and territory:
        cursor = f"lead-rr/{territory.territory_id}"
        reason = f"territory {territory.territory_code}"
    else:
        territory, pool = None, active_reps(ctx.state, roles, any_territory=True)
        cursor, reason = "lead-rr/all", "no territory rep"
    if not pool:
        return
    rep = pool[ctx.bump(cursor) % len(pool)]
    ctx.emit(LeadAssigned, lead_id, assigned_to=rep.sales_rep_id,
             territory_id=territory.territory_id if territory else None,
             assignment_reason=f"{reason}, round-robin")


@handles(AssignLead)
def assign_lead_by_hand(ctx: Context, cmd: AssignLead) -> None:
    """Reassign an open lead to an active rep."""
    lead = require_lead(ctx, cmd.aggregate_id, *OPEN)
    rep = get_rep(ctx.state, cmd.sales_rep_id)
    if rep is None or not rep.active:
        raise Rejected(f"sales rep {cmd.sales_rep_id} is not an active sales rep")
    if lead.assigned_to != rep.sales_rep_id:
        ctx.emit(LeadAssigned, lead.lead_id, assigned_to=rep.sales_rep_id,
                 territory_id=rep.territory_id, assignment_reason="assigned by hand")
