"""leads and lead_activities rows from lead events."""

from __future__ import annotations

from domain.kernel.messages import Event
from domain.leads.messages import (
    LeadActivityLogged,
    LeadAssigned,
    LeadBantAssessed,
    LeadCaptured,
    LeadConverted,
    LeadDisqualified,
    LeadLost,
    LeadNurtured,
    LeadQualified,
    LeadScored,
)
from projectors.projection import Upsert, projects, upsert


def _lead(e: Event, **values: object) -> Upsert:
    return upsert("leads", e, {"lead_id": e.aggregate_id}, **values, updated_at=e.occurred_at)


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


@projects(LeadAssigned)
def lead_assigned(e: LeadAssigned) -> list[Upsert]:
    """Owner and when it was assigned."""
    return [_lead(e, assigned_to=e.assigned_to, assigned_date=e.occurred_at)]


_ACTIVITY_COLUMNS = ("activity_type", "subject", "description", "activity_date",
                     "duration_minutes", "outcome", "next_action", "next_action_date",
                     "performed_by")


@projects(LeadActivityLogged)
def activity_logged(e: LeadActivityLogged) -> list[Upsert]:
    """A lead_activities row and the lead's contact figures and status."""
    return [
        upsert("lead_activities", e, {"activity_id": e.activity_id}, lead_id=e.aggregate_id,
               **{c: getattr(e, c) for c in _ACTIVITY_COLUMNS}, created_at=e.occurred_at),
        _lead(e, contact_attempts=e.contact_attempts, first_contact_date=e.first_contact_date,
              last_contact_date=e.last_contact_date, lead_status=e.lead_status),
    ]


@projects(LeadBantAssessed)
def bant_assessed(e: LeadBantAssessed) -> list[Upsert]:
    """BANT answers and qualification status."""
    return [_lead(e, has_budget=e.has_budget, is_decision_maker=e.is_decision_maker,
                  has_identified_need=e.has_identified_need, has_timeline=e.has_timeline,
                  qualification_status=e.qualification_status)]


@projects(LeadQualified)
def qualified(e: LeadQualified) -> list[Upsert]:
    """Qualified."""
    return [_lead(e, lead_status="qualified", qualification_status="qualified")]


@projects(LeadDisqualified)
def disqualified(e: LeadDisqualified) -> list[Upsert]:
    """Unqualified; the reason goes to notes."""
    return [_lead(e, lead_status="unqualified", qualification_status="disqualified",
                  notes=e.reason)]


@projects(LeadNurtured)
def nurtured(e: LeadNurtured) -> list[Upsert]:
    """Nurturing."""
    return [_lead(e, lead_status="nurturing")]


@projects(LeadLost)
def lost(e: LeadLost) -> list[Upsert]:
    """Lost and inactive; the reason goes to notes."""
    return [_lead(e, lead_status="lost", is_active=False, notes=e.reason)]


@projects(LeadConverted)
def converted(e: LeadConverted) -> list[Upsert]:
    """Converted, with the account and opportunity it became."""
    return [_lead(e, lead_status="converted", converted=True, converted_date=e.occurred_at,
                  converted_to_account_id=e.account_id,
                  converted_to_opportunity_id=e.opportunity_id)]
