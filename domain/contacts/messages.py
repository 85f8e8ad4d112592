"""Contact commands and events (rules in domain.contacts.lifecycle and touches)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import Command, Date, Event, Opt, Text, Timestamp

Salutation = Literal["Mr.", "Ms.", "Dr.", "Prof."]
ContactRole = Literal["decision_maker", "influencer", "champion", "gatekeeper", "user"]
Authority = Literal["final_decision", "recommends", "approves", "uses"]
Strength = Literal["strong", "moderate", "weak"]
ContactMethod = Literal["email", "phone", "linkedin"]
ContactStatus = Literal["active", "inactive", "left_company"]


class ContactProfile(BaseModel):
    """Descriptive contact fields; in updates, None means 'unchanged'."""

    salutation: Salutation | None = None
    middle_name: str | None = Opt(100)
    job_title: str | None = Opt(100)
    department: str | None = Opt(100)
    email: str | None = Opt(100)
    phone: str | None = Opt(50)
    mobile: str | None = Opt(50)
    reports_to_contact_id: str | None = Opt(50)
    mailing_address_line1: str | None = Opt(200)
    mailing_city: str | None = Opt(100)
    mailing_state: str | None = Opt(100)
    mailing_country: str | None = Opt(50)
    mailing_postal_code: str | None = Opt(20)
    linkedin_url: str | None = Opt(200)
    twitter_handle: str | None = Opt(100)
    relationship_strength: Strength | None = None
    contact_frequency: int | None = Opt(description="Times per month")
    preferred_contact_method: ContactMethod | None = None
    best_time_to_contact: str | None = Opt(50)
    birthday: Date | None = None
    interests: str | None = Opt(description="Free text, stored verbatim")
    notes: str | None = Opt(description="Free text, stored verbatim")


class NewContactFields(ContactProfile):
    """What creating a contact carries beyond the profile."""

    account_id: str = Text(50)
    first_name: str = Text(100)
    last_name: str = Text(100)
    contact_role: ContactRole | None = None
    decision_authority: Authority | None = None
    is_primary: bool = False
    created_by: str | None = Opt(50)


class CreateContact(Command, NewContactFields):
    """Record a person at an account."""

    AGGREGATE = "contact"


class ContactCreated(Event, NewContactFields):
    """A contact was recorded."""

    AGGREGATE = "contact"

    contact_number: str = Text(50, "CON-000001")


class UpdateContact(Command, ContactProfile):
    """Change contact fields; None keeps a value. is_primary=True makes it the primary."""

    AGGREGATE = "contact"

    first_name: str | None = Opt(100)
    last_name: str | None = Opt(100)
    contact_status: ContactStatus | None = None
    is_primary: bool | None = None


class ContactUpdated(Event, ContactProfile):
    """Contact fields changed (None = unchanged)."""

    AGGREGATE = "contact"

    first_name: str | None = Opt(100)
    last_name: str | None = Opt(100)
    contact_status: ContactStatus | None = None
    is_primary: bool | None = None


class ChangeContactRole(Command):
    """Record the contact's role in buying decisions."""

    AGGREGATE = "contact"

    contact_role: ContactRole
    decision_authority: Authority | None = None


class ContactRoleChanged(Event):
    """The contact's decision role changed."""

    AGGREGATE = "contact"

    contact_role: ContactRole
    decision_authority: Authority | None = None


class OptOutContact(Command):
    """The contact unsubscribed from e-mail."""

    AGGREGATE = "contact"

    reason: str | None = Opt(200)


class ContactOptedOut(Event):
    """The contact must not be e-mailed any more."""

    AGGREGATE = "contact"

    reason: str | None = Opt(200)

TouchSource = Literal["interaction", "activity", "case_comment"]


class ContactTouched(Event):
    """Someone at the company was in touch with the contact (moves last_contact_date)."""

    AGGREGATE = "contact"

    contacted_at: Timestamp = Field(description="When the exchange took place (UTC)")
    source_type: TouchSource | None = None
    source_id: str | None = Opt(50, "Id of the interaction, activity or case")
