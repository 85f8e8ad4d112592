"""Contacts' last contact date (Salesforce's "Last Activity"), kept by the contact rules.

An interaction, a completed activity or a case comment that names a contact touches it:
`touch` emits `ContactTouched` with the time the exchange took place, but only when that is
later than the contact's last touch, so the date never moves backwards and a replayed or
back-dated record changes nothing. The contact's evolve cannot see other aggregates, hence a
small event of its own on the contact stream rather than a cross-aggregate view.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import Field

from domain.contacts import Contact, get_contact
from domain.core import Context, evolves
from domain.messages import Event, Opt, Timestamp
from domain.records import updated

TouchSource = Literal["interaction", "activity", "case_comment"]


class ContactTouched(Event):
    """Someone at the company was in touch with the contact (moves last_contact_date)."""

    AGGREGATE = "contact"

    contacted_at: Timestamp = Field(description="When the exchange took place (UTC)")
    source_type: TouchSource | None = None
    source_id: str | None = Opt(50, "Id of the interaction, activity or case")


def touch(ctx: Context, contact_ids: Iterable[str | None], at: datetime, *,
          source_type: TouchSource, source_id: str) -> None:
    """Emit ContactTouched for each known contact whose last touch is earlier than `at`.

    Unknown contacts are skipped (records may name contacts of another system); each id is
    touched once, in the order given, so the output is deterministic.
    """
    seen: list[str] = []
    for contact_id in contact_ids:
        if not contact_id or contact_id in seen:
            continue
        seen.append(contact_id)
        contact: Contact | None = get_contact(ctx.state, contact_id)
        if contact is None:
            continue
        if contact.last_contact_at is not None and contact.last_contact_at >= at:
            continue
        ctx.emit(ContactTouched, contact_id, contacted_at=at, source_type=source_type,
                 source_id=source_id)


@evolves(ContactTouched)
def _touched(c: Contact, e: ContactTouched) -> Contact:
    return updated(c, last_contact_at=e.contacted_at)
