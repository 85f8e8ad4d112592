"""A lead's score and grade (fit and engagement, thresholds in `LeadRules`), re-scored on change."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.kernel.context import Context
from domain.leads.entities import Lead
from domain.leads.messages import LeadScored
from domain.rules_config import LeadRules


def score_lead(lead: Lead, rules: LeadRules, now: datetime) -> tuple[int, str, str]:
    """Score 0-100, grade and the points per rule; pure."""
    parts = {
        "source": rules.source_points.get(lead.lead_source, 0),
        "size": rules.company_size_points.get(lead.company_size or "", 0),
        "industry": rules.industry_fit_points if lead.industry in rules.target_industries else 0,
        "bant": rules.bant_points_each * sum(lead.bant),
        "engagement": min(rules.engagement_points_each * lead.activities,
                          rules.engagement_points_max),
        "recency": rules.recency_points if _recent(lead, now, rules.recency_days) else 0,
    }
    score = max(0, min(100, sum(parts.values())))
    reason = " ".join(f"{name}={points}" for name, points in parts.items())
    return score, grade_for(score, rules), reason


def grade_for(score: int, rules: LeadRules) -> str:
    """A >= grade_a, B >= grade_b, C >= grade_c, else D."""
    if score >= rules.grade_a:
        return "A"
    if score >= rules.grade_b:
        return "B"
    return "C" if score >= rules.grade_c else "D"


def _recent(lead: Lead, now: datetime, days: int) -> bool:
    last = lead.last_contact_at or lead.captured_at
    return now - last <= timedelta(days=days)


def rescore(ctx: Context, lead_id: str) -> None:
    """Emit LeadScored when the score or grade changed (or the lead was never scored)."""
    lead: Lead = ctx.get("lead", lead_id)
    score, grade, reason = score_lead(lead, ctx.rules.leads, ctx.now)
    if lead.status == "new" and lead.score == 0 or (score, grade) != (lead.score, lead.grade):
        ctx.emit(LeadScored, lead_id, lead_score=score, lead_grade=grade, score_reason=reason)
