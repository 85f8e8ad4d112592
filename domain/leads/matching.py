"""Duplicate management for leads: the matching rule and what a match does.

Modelled on Salesforce's Duplicate Rules and Matching Rules (docs/rules.md "Duplicate
management"). When a lead is captured, the rule looks, in this order, for:

1. ``open_lead``: an open lead (new, contacted, nurturing, qualified, unqualified) with
   the same e-mail address (trimmed, case-insensitive), the earliest captured. The new lead
   is a duplicate: it goes to that lead's owner and is closed at once as unqualified
   ("Duplicate of LEAD-000123 (same e-mail)"), so one enquiry is never worked twice.
2. ``contact``: a contact with the same e-mail (the earliest created): the lead is linked
   to the contact and its account; conversion then reuses both, whatever company name
   the person typed.
3. ``account``: an account whose name matches the company name (case- and
   space-insensitive, as accounts compare names): the lead is linked to that account.

A match is recorded by ``LeadMatched`` (the lead's state keeps the link). Leads of the same
person that are converted or lost are no duplicates: a returning buyer's new enquiry is
worked as a new lead (and linked to the contact conversion created)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.accounts.entities import find_account_by_name, get_account
from domain.contacts.messages import ContactCreated, ContactUpdated
from domain.kernel.context import Context
from domain.kernel.messages import Event
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, indexes
from domain.kernel.state import CrmState
from domain.leads.assignment import assign_lead
from domain.leads.entities import Lead
from domain.leads.messages import (
    LeadAssigned,
    LeadCaptured,
    LeadDisqualified,
    LeadFields,
    LeadMatched,
    MatchRule,
)
from domain.sales_org.org_chart import get_rep

_CONTACTS = "contacts_by_email"  # normalised e-mail -> contact ids, creation order
_CONTACT_EMAIL = "contact_email_of"  # contact id -> its normalised e-mail (to move edits)
_LEADS = "leads_by_email"  # normalised e-mail -> lead ids, capture order
OPEN_STATUSES = ("new", "contacted", "nurturing", "qualified", "unqualified")


@dataclass(frozen=True)
class LeadMatch:
    """What the rule found (ids of the existing records)."""

    rule: MatchRule
    reason: str
    lead_id: str | None = None
    account_id: str | None = None
    contact_id: str | None = None


def normalise_email(email: str | None) -> str | None:
    """E-mail addresses compare trimmed and case-insensitively; blank is no address."""
    return email.strip().casefold() or None if email else None


def match_lead(state: CrmState, facts: LeadFields) -> LeadMatch | None:
    """The first match of the rule (open lead, contact, account) for a lead's facts."""
    email = normalise_email(facts.email)
    if email:
        for lead_id in state.view(_LEADS).get(email, []):
            lead = state.get("lead", lead_id)
            if lead is not None and lead.status in OPEN_STATUSES and not lead.converted:
                return LeadMatch("open_lead", f"same e-mail as open lead {lead.lead_number}",
                                 lead_id=lead_id)
        for contact_id in state.view(_CONTACTS).get(email, []):
            contact = state.get("contact", contact_id)
            if contact is not None and get_account(state, contact.account_id) is not None:
                return LeadMatch("contact", f"same e-mail as contact {contact_id}",
                                 account_id=contact.account_id, contact_id=contact_id)
    account_id = find_account_by_name(state, facts.company_name)
    if account_id is not None:
        return LeadMatch("account", "company name matches the account's",
                         account_id=account_id)
    return None


def apply_match(ctx: Context, lead_id: str, facts: LeadFields) -> bool:
    """Run the rule on a lead just captured; record a match and close a duplicate.

    Returns True when the lead duplicated an open one: it then went to that lead's owner
    and was closed as unqualified, so the caller does not assign it again.
    """
    match = match_lead(ctx.state, facts)
    if match is None:
        return False
    ctx.emit(LeadMatched, lead_id, match_rule=match.rule, duplicate_of_lead_id=match.lead_id,
             account_id=match.account_id, contact_id=match.contact_id,
             match_reason=match.reason)
    if match.rule != "open_lead":
        return False
    first: Lead = ctx.get("lead", match.lead_id)
    owner = get_rep(ctx.state, first.assigned_to)
    if owner is not None and owner.active:
        ctx.emit(LeadAssigned, lead_id, assigned_to=owner.sales_rep_id,
                 territory_id=owner.territory_id,
                 assignment_reason=f"duplicate of {first.lead_number}: its owner")
    else:
        assign_lead(ctx, lead_id)
    ctx.emit(LeadDisqualified, lead_id,
             reason=f"Duplicate of {first.lead_number} (same e-mail); merged into it")
    return True


@evolves(LeadMatched)
def _matched(lead: Lead, e: LeadMatched) -> Lead:
    return updated(lead, matched_account_id=e.account_id, matched_contact_id=e.contact_id)


@indexes(LeadCaptured)
def _index_lead(state: CrmState, e: Event) -> None:
    email = normalise_email(getattr(e, "email", None))
    if email:
        state.view(_LEADS).setdefault(email, []).append(e.aggregate_id)


@indexes(ContactCreated, ContactUpdated)
def _index_contact(state: CrmState, e: Event) -> None:
    email = normalise_email(getattr(e, "email", None))
    if email is None:
        return
    by_email, email_of = state.view(_CONTACTS), state.view(_CONTACT_EMAIL)
    old = email_of.get(e.aggregate_id)
    if old == email:
        return
    if old is not None:
        by_email[old] = [c for c in by_email.get(old, []) if c != e.aggregate_id]
    email_of[e.aggregate_id] = email
    by_email.setdefault(email, []).append(e.aggregate_id)
