"""Contact rules beyond the basics in test_rules_accounts.py: the contact record the rules
keep, e-mail matching, updates, the primary contact, opt-out (pinned by mutation testing,
docs/testing.md)."""

from __future__ import annotations

import pytest
from scenario import MINUTE, Scenario, of_type, rejection

from domain.contacts.lifecycle import (
    Contact,
    contacts_of,
    find_contact_by_email,
    get_contact,
    open_contact,
    opt_out,
)
from domain.contacts.messages import (
    ContactCreated,
    ContactOptedOut,
    ContactUpdated,
    CreateContact,
    OptOutContact,
    UpdateContact,
)
from domain.kernel.context import Rejected


def acme(*contacts: tuple[str, dict[str, object]]) -> Scenario:
    """Account A1 with the given contacts (id, extra fields), created in order."""
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    for contact_id, fields in contacts:
        w.contact(contact_id, "A1", **fields)
    return w


def test_the_contact_record_keeps_account_email_primary_flag_and_role() -> None:
    w = acme(("K1", {"email": "ravi@acme.example", "is_primary": True,
                     "contact_role": "champion"}))
    assert get_contact(w.state, "K1") == Contact("K1", "A1", "ravi@acme.example", True, False,
                                                 "champion")
    assert get_contact(w.state, None) is None
    assert get_contact(w.state, "K9") is None


def test_a_taken_contact_id_is_refused_and_a_bad_value_is_refused_with_its_reason() -> None:
    w = acme(("K1", {}))
    assert rejection(w.send(CreateContact, "K1", account_id="A1", first_name="A",
                            last_name="B")) == "contact K1 already exists"
    with pytest.raises(Rejected) as bad:
        w.run(lambda ctx: open_contact(ctx, "K2", account_id="A1", first_name="A",
                                        last_name="B", contact_role="boss"))
    assert bad.value.reason.startswith("contact K2: Input should be ")


def test_open_contact_creates_the_contact_with_the_given_details() -> None:
    w = acme()
    events = w.run(lambda ctx: open_contact(
        ctx, "K1", account_id="A1", first_name="Asha", last_name="Rao", job_title="CTO",
        email="asha@acme.example", phone="+91 80 1234", contact_role="decision_maker",
        is_primary=True, created_by="R1"))
    created = of_type(events, ContactCreated)[0]
    assert (created.contact_number, created.first_name, created.last_name) == (
        "CON-000001", "Asha", "Rao")
    assert (created.job_title, created.email, created.phone, created.created_by) == (
        "CTO", "asha@acme.example", "+91 80 1234", "R1")
    assert (created.contact_role, created.is_primary) == ("decision_maker", True)


def test_contacts_are_listed_per_account_in_creation_order() -> None:
    w = acme(("K2", {}), ("K1", {}))
    w.account("A2", "Other")
    w.contact("K3", "A2")
    assert [c.contact_id for c in contacts_of(w.state, "A1")] == ["K2", "K1"]
    assert [c.contact_id for c in contacts_of(w.state, "A2")] == ["K3"]
    assert contacts_of(w.state, "A9") == []


def test_an_email_matches_the_first_contact_ignoring_case_and_spaces() -> None:
    w = acme(("K1", {}), ("K2", {"email": " Ravi@Acme.example "}),
             ("K3", {"email": "ravi@acme.example"}))
    assert find_contact_by_email(w.state, "A1", "RAVI@acme.EXAMPLE  ") == "K2"
    assert find_contact_by_email(w.state, "A1", "nobody@acme.example") is None
    assert find_contact_by_email(w.state, "A1", "") is None
    assert find_contact_by_email(w.state, "A1", None) is None
    assert find_contact_by_email(w.state, "A2", "ravi@acme.example") is None


def test_a_changed_email_is_what_matching_finds_and_an_update_without_one_keeps_it() -> None:
    w = acme(("K1", {"email": "old@acme.example"}))
    w.ok(UpdateContact, "K1", email="new@acme.example")
    assert find_contact_by_email(w.state, "A1", "new@acme.example") == "K1"
    assert find_contact_by_email(w.state, "A1", "old@acme.example") is None
    w.ok(UpdateContact, "K1", job_title="CFO")
    assert get_contact(w.state, "K1") == Contact("K1", "A1", "new@acme.example")


def test_an_update_carries_only_the_given_fields_and_an_empty_one_emits_nothing() -> None:
    w = acme(("K1", {}))
    changed = of_type(w.ok(UpdateContact, "K1", job_title="CFO", first_name="Ravindra"),
                      ContactUpdated)
    assert [(e.job_title, e.first_name, e.last_name, e.is_primary) for e in changed] == [
        ("CFO", "Ravindra", None, None)]
    assert w.ok(UpdateContact, "K1") == []
    assert rejection(w.send(UpdateContact, "K9", job_title="CFO")) == "contact K9 does not exist"


def test_only_the_primary_contact_is_demoted_when_another_becomes_primary() -> None:
    w = acme(("K1", {}), ("K2", {"is_primary": True}), ("K3", {}))
    events = w.ok(UpdateContact, "K3", is_primary=True)
    assert [(e.aggregate_id, e.is_primary) for e in of_type(events, ContactUpdated)] == [
        ("K2", False), ("K3", True)]
    primaries = [c.contact_id for c in contacts_of(w.state, "A1") if c.is_primary]
    assert primaries == ["K3"]
    # Confirming the primary again demotes nobody.
    again = w.ok(UpdateContact, "K3", is_primary=True)
    assert [(e.aggregate_id, e.is_primary) for e in of_type(again, ContactUpdated)] == [
        ("K3", True)]


def test_a_contact_created_as_primary_demotes_the_old_primary_not_the_others() -> None:
    w = acme(("K1", {"is_primary": True}), ("K2", {}))
    events = w.ok(CreateContact, "K3", account_id="A1", first_name="N", last_name="M",
                  is_primary=True)
    assert [(e.aggregate_id, e.is_primary) for e in of_type(events, ContactUpdated)] == [
        ("K1", False)]
    assert [c.is_primary for c in contacts_of(w.state, "A1")] == [False, False, True]


def test_an_opt_out_keeps_its_reason_and_marks_the_contact() -> None:
    w = acme(("K1", {}))
    out = of_type(w.ok(OptOutContact, "K1", reason="Unsubscribed from newsletter"),
                  ContactOptedOut)[0]
    assert (out.aggregate_id, out.reason) == ("K1", "Unsubscribed from newsletter")
    assert get_contact(w.state, "K1").email_opted_out is True
    assert rejection(w.send(OptOutContact, "K9")) == "contact K9 does not exist"


def test_the_opt_out_entry_point_ignores_unknown_and_already_opted_out_contacts() -> None:
    w = acme(("K1", {}))
    first = w.run(lambda ctx: opt_out(ctx, "K1", "bounced"))
    assert [(e.aggregate_id, e.reason) for e in of_type(first, ContactOptedOut)] == [
        ("K1", "bounced")]
    assert w.run(lambda ctx: opt_out(ctx, "K1", "bounced again")) == []
    assert w.run(lambda ctx: opt_out(ctx, "K9", "unknown")) == []


def test_updating_another_contacts_details_leaves_the_primary_alone() -> None:
    w = acme(("K1", {"is_primary": True}), ("K2", {}))
    events = w.ok(UpdateContact, "K2", job_title="Buyer")
    assert [(e.aggregate_id, e.job_title, e.is_primary) for e in
            of_type(events, ContactUpdated)] == [("K2", "Buyer", None)]
    assert [c.is_primary for c in contacts_of(w.state, "A1")] == [True, False]


def test_open_contact_makes_a_contact_primary_only_when_asked() -> None:
    w = acme(("K1", {"is_primary": True}))
    events = w.run(lambda ctx: open_contact(ctx, "K2", account_id="A1", first_name="Asha",
                                             last_name="Rao"))
    assert [(e.aggregate_id, e.is_primary) for e in events] == [("K2", False)]
    assert [c.is_primary for c in contacts_of(w.state, "A1")] == [True, False]
