"""Contacts' last contact date (Salesforce's "Last Activity"), kept by the contact rules.

An interaction, a completed activity or a case comment that names a contact touches it:
`touch` emits `ContactTouched` with the time the exchange took place, but only when that is
later than the contact's last touch, so the date never moves backwards and a replayed or
back-dated record changes nothing. The contact's evolve cannot see other aggregates, hence a
small event of its own on the contact stream rather than a cross-aggregate view."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.contacts.lifecycle import Contact, get_contact
from domain.contacts.messages import ContactTouched, TouchSource
from domain.kernel.context import Context
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves


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
