"""Notes and customer interactions beyond test_rules_activities.py: ids, the account an
interaction counts for (account health reads it), dates (pinned by mutation testing,
docs/testing.md)."""

from __future__ import annotations

from scenario import T0, Scenario, of_type, rejection

from domain.cases.messages import OpenCase
from domain.interactions.journal import Interaction, Note
from domain.interactions.messages import AddNote, InteractionRecorded, NoteAdded, RecordInteraction
from domain.kernel.messages import utc


def test_a_note_keeps_its_relation_and_a_taken_note_id_is_refused() -> None:
    w = Scenario()
    note = of_type(w.send(AddNote, "N1", related_to_type="opportunity", related_to_id="O1",
                          title="Pricing", note_text="Wants 10 %"), NoteAdded)[0]
    assert (note.related_to_type, note.related_to_id, note.title) == ("opportunity", "O1",
                                                                      "Pricing")
    assert w.state.get("note", "N1") == Note("N1")
    assert rejection(w.send(AddNote, "N1", note_text="again")) == "note N1 already exists"


def test_the_interaction_record_keeps_account_sentiment_and_date_for_health() -> None:
    w = Scenario()
    when = utc(2026, 2, 27, 15, 30)
    w.send(RecordInteraction, "I1", account_id="A1", interaction_type="call",
           sentiment="negative", interaction_date=when)
    assert w.state.get("interaction", "I1") == Interaction("I1", "A1", "negative", when)
    assert rejection(w.send(RecordInteraction, "I1", account_id="A1",
                            interaction_type="email")) == "interaction I1 already exists"


def test_an_interaction_about_a_case_keeps_its_own_account_if_it_names_one() -> None:
    w = Scenario().account("A1").account("A2")
    w.send(OpenCase, "C1", account_id="A1", subject="s", description="d")
    recorded = of_type(w.send(RecordInteraction, "I1", case_id="C1", account_id="A2",
                              interaction_type="email"), InteractionRecorded)[0]
    assert recorded.account_id == "A2"


def test_an_interaction_about_an_unknown_case_has_no_account() -> None:
    w = Scenario()
    recorded = of_type(w.send(RecordInteraction, "I1", case_id="C404",
                              interaction_type="chat"), InteractionRecorded)[0]
    assert (recorded.account_id, recorded.case_id, recorded.interaction_date) == (None,
                                                                                  "C404", T0)
