"""A contact's last contact date (Salesforce's "Last Activity"): interactions and completed
activities that name a contact move it to when the exchange took place, never backwards."""

from __future__ import annotations

from scenario import T0, Scenario, of_type

from domain.activities.messages import CompleteActivity, LogActivity
from domain.contacts.lifecycle import get_contact
from domain.contacts.messages import ContactTouched, CreateContact
from domain.contacts.touches import touch
from domain.interactions.messages import RecordInteraction
from domain.kernel.messages import utc
from projectors.projection import rows_for


def acme(*contact_ids: str) -> Scenario:
    """Account A1 with the given contacts."""
    w = Scenario().account("A1")
    for contact_id in contact_ids:
        w.send(CreateContact, contact_id, account_id="A1", first_name="Ravi", last_name="Iyer")
    return w


def call(w: Scenario, interaction_id: str, contact_id: str | None, when: object = None) -> list:
    """Record a call with a contact (at `when`, default the cursor)."""
    return w.send(RecordInteraction, interaction_id, account_id="A1", contact_id=contact_id,
                  interaction_type="call", interaction_date=when)


def log(w: Scenario, activity_id: str, status: str, **fields: object) -> list:
    """Log a meeting with contact K1 taking place at T0 + 1 day."""
    return w.send(LogActivity, activity_id, activity_type="meeting", related_to_type="contact",
                  related_to_id="K1", account_id="A1", subject="Review",
                  activity_date=utc(2026, 3, 3, 11, 0), activity_status=status, **fields)


def test_an_interaction_with_a_contact_sets_its_last_contact_date_to_the_interaction_date() -> None:
    w = acme("K1")
    assert get_contact(w.state, "K1").last_contact_at is None
    touched = of_type(call(w, "I1", "K1", utc(2026, 3, 1, 15, 30)), ContactTouched)
    assert [(t.aggregate_id, t.contacted_at, t.source_type, t.source_id) for t in touched] == [
        ("K1", utc(2026, 3, 1, 15, 30), "interaction", "I1")]
    assert get_contact(w.state, "K1").last_contact_at == utc(2026, 3, 1, 15, 30)


def test_the_last_contact_date_never_moves_backwards() -> None:
    w = acme("K1")
    call(w, "I1", "K1")
    assert of_type(call(w, "I2", "K1", utc(2026, 2, 20, 10, 0)), ContactTouched) == []
    assert of_type(call(w, "I3", "K1", T0), ContactTouched) == []  # same time: no event
    assert get_contact(w.state, "K1").last_contact_at == T0
    w.later(days=2)
    assert [t.contacted_at for t in of_type(call(w, "I4", "K1"), ContactTouched)] == [
        utc(2026, 3, 4, 9, 0)]


def test_interactions_without_a_known_contact_touch_nobody() -> None:
    w = acme("K1")
    assert of_type(call(w, "I1", None), ContactTouched) == []
    assert of_type(call(w, "I2", "K404"), ContactTouched) == []
    assert get_contact(w.state, "K1").last_contact_at is None


def test_a_planned_activity_touches_its_contacts_only_when_it_is_completed() -> None:
    w = acme("K1", "K2", "K3")
    assert of_type(log(w, "ACT1", "planned", attendees=["K2", "K1"]), ContactTouched) == []
    w.at(utc(2026, 3, 3, 12, 15))
    touched = of_type(w.send(CompleteActivity, "ACT1", outcome="successful"), ContactTouched)
    assert [(t.aggregate_id, t.contacted_at, t.source_type) for t in touched] == [
        ("K1", utc(2026, 3, 3, 12, 15), "activity"), ("K2", utc(2026, 3, 3, 12, 15), "activity")]
    assert get_contact(w.state, "K3").last_contact_at is None


def test_an_activity_logged_as_completed_touches_its_contact_at_the_activity_date() -> None:
    w = acme("K1")
    touched = of_type(log(w, "ACT1", "completed"), ContactTouched)
    assert [(t.aggregate_id, t.contacted_at, t.source_id) for t in touched] == [
        ("K1", utc(2026, 3, 3, 11, 0), "ACT1")]


def test_the_contacts_row_gets_the_last_contact_date() -> None:
    w = acme("K1")
    touched = of_type(call(w, "I1", "K1", utc(2026, 3, 1, 15, 30)), ContactTouched)
    [row] = rows_for(touched)
    assert (row.table, row.key, row.values["last_contact_date"]) == (
        "contacts", (("contact_id", "K1"),), utc(2026, 3, 1, 15, 30))


def test_touch_skips_blank_unknown_and_already_later_contacts_and_touches_the_rest() -> None:
    w = acme("K1", "K2", "K3")
    call(w, "I1", "K2", utc(2026, 3, 5, 9, 0))  # K2 was last contacted after `at`
    at = utc(2026, 3, 2, 10, 0)
    out = w.run(lambda ctx: touch(ctx, [None, "", "K404", "K2", "K1", "K1", "K3"], at,
                                  source_type="case_comment", source_id="CASE-1"))
    assert [(t.aggregate_id, t.contacted_at, t.source_type, t.source_id)
            for t in of_type(out, ContactTouched)] == [
        ("K1", at, "case_comment", "CASE-1"), ("K3", at, "case_comment", "CASE-1")]
    assert get_contact(w.state, "K2").last_contact_at == utc(2026, 3, 5, 9, 0)
