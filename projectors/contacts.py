"""contacts rows from contact events."""

from __future__ import annotations

from domain.contacts.messages import (
    ContactCreated,
    ContactOptedOut,
    ContactRoleChanged,
    ContactTouched,
    ContactUpdated,
)
from domain.kernel.messages import Event
from projectors.projection import Upsert, projects, upsert


def _contact(e: Event, **values: object) -> Upsert:
    return upsert("contacts", e, {"contact_id": e.aggregate_id}, **values,
                  updated_at=e.occurred_at)


@projects(ContactCreated)
def created(e: ContactCreated) -> list[Upsert]:
    """A new, active contact row."""
    return [_contact(e, **e.payload(), email_opted_out=False, contact_status="active",
                     created_at=e.occurred_at)]


@projects(ContactUpdated)
def updated(e: ContactUpdated) -> list[Upsert]:
    """Only the fields the update carried (None = unchanged)."""
    return [_contact(e, **{k: v for k, v in e.payload().items() if v is not None})]


@projects(ContactRoleChanged)
def role_changed(e: ContactRoleChanged) -> list[Upsert]:
    """Decision role (and authority, when given)."""
    values: dict[str, object] = {"contact_role": e.contact_role}
    if e.decision_authority is not None:
        values["decision_authority"] = e.decision_authority
    return [_contact(e, **values)]


@projects(ContactOptedOut)
def opted_out(e: ContactOptedOut) -> list[Upsert]:
    """No more e-mail."""
    return [_contact(e, email_opted_out=True)]


@projects(ContactTouched)
def touched(e: ContactTouched) -> list[Upsert]:
    """Last contact date (the rule only emits it when the date moves forward)."""
    return [_contact(e, last_contact_date=e.contacted_at)]
