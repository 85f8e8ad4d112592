"""Account and contact rules: numbering, matching, hierarchy, teams, revenue, contacts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from scenario import MINUTE, Scenario, of_type, rejection

from domain.accounts.entities import find_account_by_name, normalise_name
from domain.accounts.lifecycle import open_account
from domain.accounts.messages import (
    AccountCreated,
    AccountRelationshipChanged,
    AccountRevenueRecorded,
    AccountRevenueYearClosed,
    AccountTeamMemberAdded,
    AccountTeamMemberRemoved,
    AccountUpdated,
    AddAccountTeamMember,
    ChangeAccountRelationship,
    LinkAccountToCustomer,
    OpenAccount,
    RemoveAccountTeamMember,
    SetParentAccount,
    UpdateAccount,
)
from domain.contacts.messages import (
    ChangeContactRole,
    ContactCreated,
    ContactOptedOut,
    ContactUpdated,
    CreateContact,
    OptOutContact,
    UpdateContact,
)
from domain.kernel.context import Context, Rejected
from domain.kernel.messages import utc
from domain.kernel.system import TickClock


def revenue(w: Scenario, account: str, amount: str, on: date,
            at: datetime | None = None) -> AccountRevenueRecorded:
    """Record revenue the way the ERP rules do; the event it emitted."""
    return of_type(w.revenue(account, amount, on, at), AccountRevenueRecorded)[0]


# ---- creation and matching -----------------------------------------------------------

def test_accounts_are_numbered_in_order_and_ids_are_unique() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    w.account("A2", "Beta")
    assert [e.account_number for e in of_type(w.events, AccountCreated)] == [
        "ACC-000001", "ACC-000002"]
    assert rejection(w.send(OpenAccount, "A1", account_name="X")) == "account A1 already exists"


def test_a_customer_account_starts_active_and_a_prospect_starts_prospect() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme", account_type="customer")
    w.account("A2", "Beta")
    assert [e.relationship_status for e in of_type(w.events, AccountCreated)] == [
        "active", "prospect"]


def test_open_account_refuses_bad_values_with_a_reason_instead_of_failing() -> None:
    w = Scenario(step=MINUTE)
    with pytest.raises(Rejected, match="account A1"):
        w.run(lambda ctx: open_account(ctx, "A1", account_name="Acme", account_type="friend"))


def test_company_names_match_ignoring_case_and_spaces_and_follow_renames() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme  Industries")
    w.account("A2", "ACME industries")
    assert find_account_by_name(w.state, " acme INDUSTRIES ") == "A1"  # earliest wins
    w.ok(UpdateAccount, "A1", account_name="Acme Holdings")
    assert find_account_by_name(w.state, "acme industries") == "A2"
    assert find_account_by_name(w.state, "Acme Holdings") == "A1"
    assert find_account_by_name(w.state, "Nobody") is None


def test_an_update_carries_only_the_given_fields_and_an_empty_one_emits_nothing() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    updated = of_type(w.ok(UpdateAccount, "A1", account_tier="key", website="acme.example"),
                      AccountUpdated)[0]
    assert {k for k, v in updated.payload().items() if v is not None} == {
        "account_tier", "website"}
    assert w.ok(UpdateAccount, "A1") == []


def test_an_account_opened_by_a_rule_is_in_india_unless_told_otherwise() -> None:
    w = Scenario(step=MINUTE)

    def two_accounts(ctx: Context) -> None:
        open_account(ctx, "A1", account_name="Acme", created_by="system")
        open_account(ctx, "A2", account_name="Beta", billing_country="Sri Lanka")

    created = of_type(w.run(two_accounts), AccountCreated)
    assert [(e.billing_country, e.created_by) for e in created] == [
        ("India", "system"), ("Sri Lanka", None)]


def test_an_update_changes_the_given_name_type_and_owner_and_keeps_the_rest() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    w.ok(UpdateAccount, "A1", account_owner="R1")

    def kept() -> tuple[str, str, str | None]:
        a = w.state.get("account", "A1")
        return a.account_name, a.account_type, a.account_owner

    assert kept() == ("Acme", "prospect", "R1")
    w.ok(UpdateAccount, "A1", account_name="Acme Holdings")
    assert kept() == ("Acme Holdings", "prospect", "R1")
    w.ok(UpdateAccount, "A1", account_type="partner", account_owner="R2")
    assert kept() == ("Acme Holdings", "partner", "R2")


def test_names_normalise_to_single_spaced_lower_case() -> None:
    assert normalise_name("  Acme\tIndustries   PVT ") == "acme industries pvt"


def test_the_earliest_numbered_account_wins_a_name_whatever_the_ids() -> None:
    w = Scenario(step=MINUTE)
    w.account("Z9", "Acme")
    w.account("A1", "ACME")
    assert find_account_by_name(w.state, "acme") == "Z9"
    assert w.state.view("accounts_by_name")["acme"] == ["Z9", "A1"]
    assert w.state.view("account_name_of") == {"Z9": "acme", "A1": "acme"}
    assert (w.state.get("account", "Z9").relationship_status,
            w.state.get("account", "A1").relationship_status) == ("prospect", "prospect")


# ---- hierarchy, relationship, master data --------------------------------------------

def test_the_hierarchy_refuses_self_parent_cycles_and_unknown_parents() -> None:
    w = Scenario(step=MINUTE)
    for aid in ("A", "B", "C"):
        w.account(aid, f"Firm {aid}")
    w.ok(SetParentAccount, "B", parent_account_id="A")
    w.ok(SetParentAccount, "C", parent_account_id="B")
    assert rejection(w.send(SetParentAccount, "A", parent_account_id="A")) == (
        "account A cannot be its own parent")
    assert rejection(w.send(SetParentAccount, "A", parent_account_id="C")) == (
        "account C is a subsidiary of A: the hierarchy would have a cycle")
    assert rejection(w.send(SetParentAccount, "A", parent_account_id="Z")) == (
        "account Z does not exist")
    w.ok(SetParentAccount, "C", parent_account_id=None)
    w.ok(SetParentAccount, "A", parent_account_id="C")
    assert w.state.get("account", "A").parent_account_id == "C"


def test_a_churned_customer_becomes_a_former_customer() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme", account_type="customer")
    changed = of_type(w.ok(ChangeAccountRelationship, "A1", relationship_status="churned",
                           reason="Moved to a competitor"), AccountRelationshipChanged)[0]
    assert (changed.relationship_status, changed.account_type, changed.reason) == (
        "churned", "former_customer", "Moved to a competitor")
    account = w.state.get("account", "A1")
    assert (account.relationship_status, account.account_type) == ("churned", "former_customer")


def test_a_customer_going_inactive_or_a_prospect_churning_keeps_its_account_type() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme", account_type="customer")
    w.account("A2", "Beta")
    inactive = of_type(w.ok(ChangeAccountRelationship, "A1", relationship_status="inactive"),
                       AccountRelationshipChanged)[0]
    assert (inactive.account_type, inactive.reason) == ("customer", None)
    lost = of_type(w.ok(ChangeAccountRelationship, "A2", relationship_status="churned"),
                   AccountRelationshipChanged)[0]
    assert lost.account_type == "prospect"
    assert w.state.get("account", "A1").relationship_status == "inactive"


def test_churn_stated_again_does_not_end_what_was_started_after_the_first_churn() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.account("A1", "Acme", account_type="customer")
    w.ok(ChangeAccountRelationship, "A1", relationship_status="churned")
    w.ok(AddAccountTeamMember, "A1", sales_rep_id="R1", team_role="account_manager")  # win-back
    again = w.ok(ChangeAccountRelationship, "A1", relationship_status="churned")
    assert of_type(again, AccountTeamMemberRemoved) == []
    assert len(w.state.get("account", "A1").team) == 1


def test_an_account_links_to_one_master_data_customer() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    w.ok(LinkAccountToCustomer, "A1", customer_id="CUST-1")
    assert w.ok(LinkAccountToCustomer, "A1", customer_id="CUST-1") == []
    assert rejection(w.send(LinkAccountToCustomer, "A1", customer_id="CUST-2")) == (
        "account A1 is already linked to customer CUST-1")


def test_the_customer_link_makes_a_prospect_a_customer_since_that_day() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    [linked] = w.ok(LinkAccountToCustomer, "A1", customer_id="CUST-1")
    assert linked.customer_since == date(2026, 3, 2)
    later = revenue(w, "A1", "1000", date(2026, 3, 20), at=utc(2026, 3, 20, 9))
    assert later.customer_since == date(2026, 3, 2)  # the first sign stays


def test_a_link_after_the_first_order_keeps_the_order_day_as_customer_since() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    revenue(w, "A1", "1000", date(2026, 3, 1))
    [linked] = w.ok(LinkAccountToCustomer, "A1", customer_id="CUST-1")
    assert linked.customer_since is None
    assert w.state.get("account", "A1").customer_since == date(2026, 3, 1)


def test_an_account_created_as_a_customer_is_one_from_that_day_unless_migrated() -> None:
    w = Scenario(step=MINUTE)
    [new] = w.ok(OpenAccount, "A1", account_name="Acme", account_type="customer")
    assert (new.customer_since, new.lifetime_value) == (date(2026, 3, 2), None)
    [migrated] = w.ok(OpenAccount, "A2", account_name="Bharat Forge", account_type="customer",
                      customer_id="CUST-7", customer_since=date(2014, 6, 1),
                      lifetime_value=Decimal("84000000.00"))
    assert migrated.customer_since == date(2014, 6, 1)
    assert revenue(w, "A2", "1000000", date(2026, 3, 5)).lifetime_value == Decimal(
        "85000000.00")
    [prospect] = w.ok(OpenAccount, "A3", account_name="Tata Motors")
    assert prospect.customer_since is None


# ---- teams ---------------------------------------------------------------------------

def test_team_members_are_added_once_per_role_and_removed_by_id() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.account("A1", "Acme")
    added = of_type(w.ok(AddAccountTeamMember, "A1", sales_rep_id="R1",
                         team_role="account_owner"), AccountTeamMemberAdded)[0]
    w.ok(AddAccountTeamMember, "A1", sales_rep_id="R1", team_role="sales_engineer")
    assert rejection(w.send(AddAccountTeamMember, "A1", sales_rep_id="R1",
                            team_role="account_owner")) == (
        "sales rep R1 is already account_owner of account A1")
    assert rejection(w.send(AddAccountTeamMember, "A1", sales_rep_id="R9",
                            team_role="support_lead")) == "sales rep R9 does not exist"
    w.ok(RemoveAccountTeamMember, "A1", team_member_id=added.team_member_id)
    assert rejection(w.send(RemoveAccountTeamMember, "A1",
                            team_member_id=added.team_member_id)) is not None
    w.ok(AddAccountTeamMember, "A1", sales_rep_id="R1", team_role="account_owner")


def test_a_team_member_gets_a_stable_id_and_the_access_and_dates_given_or_defaulted() -> None:
    w = Scenario(step=MINUTE)
    w.rep("R1")
    w.rep("R2")
    w.account("A1", "Acme")
    first = of_type(w.ok(AddAccountTeamMember, "A1", sales_rep_id="R1",
                         team_role="account_owner"), AccountTeamMemberAdded)[0]
    # ids derive from the cause (a replay derives the same one): pinned literally
    assert (first.team_member_id, first.access_level, first.start_date) == (
        "ATM-f41092a4-fe93-5d65", "edit", date(2026, 3, 2))
    second = of_type(w.ok(AddAccountTeamMember, "A1", sales_rep_id="R2",
                          team_role="account_owner", access_level="read",
                          start_date=date(2026, 1, 5)), AccountTeamMemberAdded)[0]
    assert (second.sales_rep_id, second.team_role, second.access_level, second.start_date) == (
        "R2", "account_owner", "read", date(2026, 1, 5))
    assert [(m.sales_rep_id, m.team_role) for m in w.state.get("account", "A1").team] == [
        ("R1", "account_owner"), ("R2", "account_owner")]
    removed = of_type(w.ok(RemoveAccountTeamMember, "A1", team_member_id=second.team_member_id,
                           end_date=date(2026, 3, 1)), AccountTeamMemberRemoved)[0]
    assert (removed.team_member_id, removed.end_date) == (second.team_member_id,
                                                          date(2026, 3, 1))
    removed = of_type(w.ok(RemoveAccountTeamMember, "A1", team_member_id=first.team_member_id),
                      AccountTeamMemberRemoved)[0]
    assert removed.end_date == date(2026, 3, 2)
    assert w.state.get("account", "A1").team == ()


# ---- revenue -------------------------------------------------------------------------

def test_revenue_accumulates_and_makes_the_account_an_active_customer() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    revenue(w, "A1", "1000", date(2026, 3, 5))
    second = revenue(w, "A1", "250.50", date(2026, 3, 1))
    assert (second.lifetime_value, second.ytd_revenue) == (Decimal("1250.50"),) * 2
    assert (second.customer_since, second.last_purchase_date) == (
        date(2026, 3, 1), date(2026, 3, 5))
    assert (second.relationship_status, second.account_type) == ("active", "customer")
    account = w.state.get("account", "A1")
    assert (account.relationship_status, account.account_type, account.last_year_revenue,
            account.lifetime_value) == ("active", "customer", Decimal(0), Decimal("1250.50"))


def test_ytd_revenue_restarts_per_fiscal_year_of_event_time() -> None:
    w = Scenario(start=utc(2027, 3, 1), step=MINUTE)  # fiscal years run April-March (FiscalRules)
    w.account("A1", "Acme")
    first = revenue(w, "A1", "1000", date(2027, 3, 1))
    same_year = revenue(w, "A1", "200", date(2027, 3, 31), at=utc(2027, 3, 31, 23, 30))
    new_year = revenue(w, "A1", "300", date(2027, 4, 1), at=utc(2027, 4, 1))
    assert (first.revenue_year, same_year.ytd_revenue) == (2027, Decimal("1200.00"))
    assert (new_year.lifetime_value, new_year.ytd_revenue, new_year.last_year_revenue,
            new_year.revenue_year) == (Decimal("1500.00"), Decimal("300.00"),
                                       Decimal("1200.00"), 2028)
    again = revenue(w, "A1", "10", date(2027, 5, 1), at=utc(2027, 5, 1))
    assert (again.ytd_revenue, again.last_year_revenue) == (Decimal("310.00"),
                                                            Decimal("1200.00"))
    two_later = revenue(w, "A1", "5", date(2029, 5, 1), at=utc(2029, 5, 1))
    assert (two_later.ytd_revenue, two_later.last_year_revenue) == (Decimal("5.00"), Decimal(0))


def test_the_fiscal_new_year_tick_closes_the_revenue_year() -> None:
    w = Scenario(start=utc(2026, 12, 1), step=MINUTE)
    w.account("A1", "Acme")
    revenue(w, "A1", "1000", date(2026, 12, 1))
    assert of_type(w.send(TickClock, "clock", occurred_at=utc(2027, 1, 1)),
                   AccountRevenueYearClosed) == []  # 1 January is mid fiscal year
    closed = of_type(w.send(TickClock, "clock", occurred_at=utc(2027, 4, 1)),
                     AccountRevenueYearClosed)[0]
    assert (closed.ytd_revenue, closed.last_year_revenue, closed.revenue_year) == (
        Decimal(0), Decimal("1000.00"), 2028)
    account = w.state.get("account", "A1")
    assert (account.ytd_revenue, account.last_year_revenue, account.revenue_year) == (
        Decimal(0), Decimal("1000.00"), 2028)


def test_revenue_booked_in_the_new_year_before_its_first_tick_is_not_wiped_by_the_close() -> None:
    w = Scenario(start=utc(2027, 3, 1), step=MINUTE)
    w.account("A1", "Acme")
    revenue(w, "A1", "1000", date(2027, 3, 1))
    early = revenue(w, "A1", "300", date(2027, 4, 1), at=utc(2027, 4, 1, 0, 10))
    assert (early.ytd_revenue, early.last_year_revenue, early.revenue_year) == (
        Decimal("300.00"), Decimal("1000.00"), 2028)
    assert of_type(w.send(TickClock, "clock", occurred_at=utc(2027, 4, 1, 0, 30)),
                   AccountRevenueYearClosed) == []


def test_revenue_for_an_unknown_account_or_of_zero_is_refused() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    with pytest.raises(Rejected, match="account A9 does not exist"):
        revenue(w, "A9", "1", date(2026, 3, 1))
    with pytest.raises(Rejected, match="must be positive"):
        revenue(w, "A1", "0", date(2026, 3, 1))


# ---- contacts ------------------------------------------------------------------------

def test_contacts_are_numbered_and_need_an_existing_account() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    w.contact("K1", "A1")
    assert of_type(w.events, ContactCreated)[0].contact_number == "CON-000001"
    assert rejection(w.send(CreateContact, "K2", account_id="A9", first_name="A",
                            last_name="B")) == "account A9 does not exist"


def test_a_new_primary_contact_demotes_the_previous_one() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    w.contact("K1", "A1", is_primary=True)
    events = w.ok(CreateContact, "K2", account_id="A1", first_name="N", last_name="M",
                  is_primary=True)
    demoted = of_type(events, ContactUpdated)
    assert [(e.aggregate_id, e.is_primary) for e in demoted] == [("K1", False)]
    events = w.ok(UpdateContact, "K1", is_primary=True)
    assert [(e.aggregate_id, e.is_primary) for e in of_type(events, ContactUpdated)] == [
        ("K2", False), ("K1", True)]


def test_opting_out_twice_changes_nothing_and_roles_change() -> None:
    w = Scenario(step=MINUTE)
    w.account("A1", "Acme")
    w.contact("K1", "A1")
    assert of_type(w.ok(OptOutContact, "K1"), ContactOptedOut)
    assert w.ok(OptOutContact, "K1") == []
    w.ok(ChangeContactRole, "K1", contact_role="champion")
    assert w.state.get("contact", "K1").contact_role == "champion"
    assert rejection(w.send(ChangeContactRole, "K9", contact_role="user")) == (
        "contact K9 does not exist")
