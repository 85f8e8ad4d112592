"""Contacts: people at accounts, their decision roles and e-mail opt-out.

One primary contact per account: making a contact primary demotes the previous one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from domain.accounts.entities import get_account
from domain.contacts.messages import (
    ChangeContactRole,
    ContactCreated,
    ContactOptedOut,
    ContactRoleChanged,
    ContactUpdated,
    CreateContact,
    OptOutContact,
    UpdateContact,
)
from domain.kernel.context import Context, Rejected, require
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles, indexes
from domain.kernel.state import CrmState

_BY_ACCOUNT = "contacts_by_account"  # account id -> contact ids in creation order


@dataclass(frozen=True)
class Contact:
    """What the contact rules need."""

    contact_id: str
    account_id: str
    email: str | None
    is_primary: bool = False
    email_opted_out: bool = False
    contact_role: str | None = None
    last_contact_at: datetime | None = None  # moved by domain/contacts/touches.py


def get_contact(state: CrmState, contact_id: str | None) -> Contact | None:
    """The contact, or None."""
    return state.get("contact", contact_id) if contact_id else None


def contacts_of(state: CrmState, account_id: str) -> list[Contact]:
    """The account's contacts in creation order."""
    return [state.get("contact", c) for c in state.view(_BY_ACCOUNT).get(account_id, [])]


def find_contact_by_email(state: CrmState, account_id: str, email: str | None) -> str | None:
    """The account's first contact with this e-mail (case-insensitive), or None."""
    if not email:
        return None
    wanted = email.strip().casefold()
    return next((c.contact_id for c in contacts_of(state, account_id)
                 if c.email and c.email.strip().casefold() == wanted), None)


def open_contact(ctx: Context, contact_id: str, *, account_id: str, first_name: str,
                 last_name: str, job_title: str | None = None, email: str | None = None,
                 phone: str | None = None, contact_role: str | None = None,
                 is_primary: bool = False, created_by: str | None = None) -> None:
    """Create a contact at an existing account (emits ContactCreated)."""
    _create(ctx, contact_id, dict(
        account_id=account_id, first_name=first_name, last_name=last_name,
        job_title=job_title, email=email, phone=phone, contact_role=contact_role,
        is_primary=is_primary, created_by=created_by))


def _create(ctx: Context, contact_id: str, fields: dict[str, Any]) -> None:
    if ctx.get("contact", contact_id) is not None:
        raise Rejected(f"contact {contact_id} already exists")
    if get_account(ctx.state, fields["account_id"]) is None:
        raise Rejected(f"account {fields['account_id']} does not exist")
    if fields.get("is_primary"):
        _demote_primary(ctx, fields["account_id"], contact_id)
    try:
        ctx.emit(ContactCreated, contact_id, contact_number=ctx.next_number("CON"), **fields)
    except ValidationError as bad:
        raise Rejected(f"contact {contact_id}: {bad.errors()[0]['msg']}") from None


def _demote_primary(ctx: Context, account_id: str, new_primary: str) -> None:
    for contact in contacts_of(ctx.state, account_id):
        if contact.is_primary and contact.contact_id != new_primary:
            ctx.emit(ContactUpdated, contact.contact_id, is_primary=False)


@handles(CreateContact)
def create_contact(ctx: Context, cmd: CreateContact) -> None:
    """Create a contact from a command."""
    _create(ctx, cmd.aggregate_id, cmd.payload())


@handles(UpdateContact)
def update_contact(ctx: Context, cmd: UpdateContact) -> None:
    """Apply the given changes; a command that changes nothing emits nothing."""
    contact = require(ctx, "contact", cmd.aggregate_id)
    changes = {k: v for k, v in cmd.payload().items() if v is not None}
    if changes.get("is_primary") and not contact.is_primary:
        _demote_primary(ctx, contact.account_id, contact.contact_id)
    if changes:
        ctx.emit(ContactUpdated, cmd.aggregate_id, **changes)


@handles(ChangeContactRole)
def change_contact_role(ctx: Context, cmd: ChangeContactRole) -> None:
    """Change the decision role."""
    require(ctx, "contact", cmd.aggregate_id)
    ctx.emit(ContactRoleChanged, cmd.aggregate_id, **cmd.payload())


@handles(OptOutContact)
def opt_out_contact(ctx: Context, cmd: OptOutContact) -> None:
    """Opt the contact out of e-mail; opting out again changes nothing."""
    opt_out(ctx, require(ctx, "contact", cmd.aggregate_id).contact_id, cmd.reason)


def opt_out(ctx: Context, contact_id: str, reason: str | None) -> None:
    """Emit ContactOptedOut unless the contact is unknown or already opted out."""
    contact = get_contact(ctx.state, contact_id)
    if contact is not None and not contact.email_opted_out:
        ctx.emit(ContactOptedOut, contact_id, reason=reason)


@evolves(ContactCreated)
def _created(_: None, e: ContactCreated) -> Contact:
    return Contact(e.aggregate_id, e.account_id, e.email, e.is_primary, False, e.contact_role)


@evolves(ContactUpdated)
def _updated(c: Contact, e: ContactUpdated) -> Contact:
    primary = c.is_primary if e.is_primary is None else e.is_primary
    return updated(c, email=e.email or c.email, is_primary=primary)


@evolves(ContactRoleChanged)
def _role(c: Contact, e: ContactRoleChanged) -> Contact:
    return updated(c, contact_role=e.contact_role)


@evolves(ContactOptedOut)
def _opted_out(c: Contact, _: ContactOptedOut) -> Contact:
    return updated(c, email_opted_out=True)


@indexes(ContactCreated)
def _index(state: CrmState, e: ContactCreated) -> None:
    state.view(_BY_ACCOUNT).setdefault(e.account_id, []).append(e.aggregate_id)
