"""leads and lead_activities rows from lead events."""

from __future__ import annotations

from domain.leads import LeadCaptured, LeadScored
from projectors.projection import Upsert, projects, upsert


@projects(LeadCaptured)
def lead_captured(e: LeadCaptured) -> list[Upsert]:
    """A new leads row with its captured facts and defaults."""
    fields = e.payload()
    return [
        upsert(
            "leads",
            e,
            {"lead_id": e.aggregate_id},
            **fields,
            lead_status="new",
            qualification_status="not_started",
            lead_score=0,
            converted=False,
            is_active=True,
            contact_attempts=0,
            has_budget=False,
            is_decision_maker=False,
            has_identified_need=False,
            has_timeline=False,
            created_at=e.occurred_at,
            updated_at=e.occurred_at,
        )
    ]


@projects(LeadScored)
def lead_scored(e: LeadScored) -> list[Upsert]:
    """Score and grade."""
    return [
        upsert(
            "leads",
            e,
            {"lead_id": e.aggregate_id},
            lead_score=e.lead_score,
            lead_grade=e.lead_grade,
            updated_at=e.occurred_at,
        )
    ]
