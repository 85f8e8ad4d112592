"""Notes and customer interactions: each row its own aggregate ("note", "interaction").

Interactions feed the account health score (their sentiment); see `domain.accounts.health`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.contacts.touches import touch
from domain.interactions.messages import AddNote, InteractionRecorded, NoteAdded, RecordInteraction
from domain.kernel.context import Context, Rejected
from domain.kernel.rulebook import evolves, handles


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
