"""Notes and customer interactions: each row its own aggregate ("note", "interaction").

Interactions feed the account health score (their sentiment); see `domain.health`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.contact_touches import touch
from domain.core import Context, Rejected, evolves, handles
from domain.messages import Command, Event, Opt, Timestamp

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


@dataclass(frozen=True)
class Note:
    """A note exists (ids are not reused)."""

    note_id: str


@dataclass(frozen=True)
class Interaction:
    """What the health rule needs to know about an interaction."""

    interaction_id: str
    account_id: str | None
    sentiment: str | None
    interaction_date: datetime


@handles(AddNote)
def add_note(ctx: Context, cmd: AddNote) -> None:
    """Record a note; the text is kept verbatim."""
    if ctx.get("note", cmd.aggregate_id) is not None:
        raise Rejected(f"note {cmd.aggregate_id} already exists")
    ctx.emit(NoteAdded, cmd.aggregate_id, **cmd.payload())


@handles(RecordInteraction)
def record_interaction(ctx: Context, cmd: RecordInteraction) -> None:
    """Record an interaction; an interaction about a case inherits the case's account."""
    if ctx.get("interaction", cmd.aggregate_id) is not None:
        raise Rejected(f"interaction {cmd.aggregate_id} already exists")
    fields = cmd.payload()
    if cmd.case_id is not None and cmd.account_id is None:
        case = ctx.get("case", cmd.case_id)
        fields["account_id"] = getattr(case, "account_id", None)
    fields["interaction_date"] = cmd.interaction_date or ctx.now
    ctx.emit(InteractionRecorded, cmd.aggregate_id, **fields)
    touch(ctx, [cmd.contact_id], fields["interaction_date"], source_type="interaction",
          source_id=cmd.aggregate_id)


@evolves(NoteAdded)
def _note_added(_: Note | None, e: NoteAdded) -> Note:
    return Note(e.aggregate_id)


@evolves(InteractionRecorded)
def _interaction_recorded(_: Interaction | None, e: InteractionRecorded) -> Interaction:
    return Interaction(e.aggregate_id, e.account_id, e.sentiment, e.interaction_date)
