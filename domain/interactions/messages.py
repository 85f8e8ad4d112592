"""Note and interaction commands and events (rules in domain.interactions.journal)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import Command, Event, Opt, Timestamp

NoteRelation = Literal["lead", "account", "contact", "opportunity", "case"]
InteractionType = Literal["call", "email", "meeting", "chat", "social_media"]
Sentiment = Literal["positive", "neutral", "negative"]


class NoteFields(BaseModel):
    """What a note carries."""

    related_to_type: NoteRelation | None = None
    related_to_id: str | None = Opt(50)
    title: str | None = Opt(200)
    note_text: str = Field(description="Free text, stored verbatim")
    is_private: bool = False
    created_by: str | None = Opt(50)


class AddNote(Command, NoteFields):
    """Attach a note to a lead, account, contact, opportunity or case."""

    AGGREGATE = "note"


class NoteAdded(Event, NoteFields):
    """A note was attached."""

    AGGREGATE = "note"


class InteractionFields(BaseModel):
    """What an interaction carries (the command's date defaults to its event time)."""

    account_id: str | None = Opt(50)
    contact_id: str | None = Opt(50)
    opportunity_id: str | None = Opt(50)
    case_id: str | None = Opt(50)
    interaction_type: InteractionType
    subject: str | None = Opt(200)
    description: str | None = Opt(description="Free text, stored verbatim")
    direction: Literal["inbound", "outbound"] | None = None
    duration_minutes: int | None = Field(default=None, ge=0, description="Minutes")
    sentiment: Sentiment | None = None
    performed_by: str | None = Opt(50)


class RecordInteraction(Command, InteractionFields):
    """A call, email, meeting, chat or social-media exchange with a customer happened."""

    AGGREGATE = "interaction"

    interaction_date: Timestamp | None = Field(default=None, description="Defaults to now")


class InteractionRecorded(Event, InteractionFields):
    """A customer interaction was recorded."""

    AGGREGATE = "interaction"

    interaction_date: Timestamp = Field(description="When it happened")
