"""Account managers' daily work on the installed base: check-in calls and e-mails with
their sentiment, review meetings and site visits, notes, new contacts and role changes,
credit reviews and profile updates, their own to-dos, and account hand-overs between
account managers. Lapsed and churned customers: `simulators.churn`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from domain.accounts.messages import AddAccountTeamMember, RemoveAccountTeamMember, UpdateAccount
from domain.activities.messages import CompleteActivity, CreateTask, LogActivity
from domain.contacts.messages import ChangeContactRole, OptOutContact, UpdateContact
from domain.interactions.messages import AddNote, RecordInteraction
from simulators.book import AccountFile
from simulators.catalog import CONTACT_ROLES, EMPLOYEES, LEAD_TITLES
from simulators.installed import AUTHORITY, add_contacts
from simulators.kernel import SALES_OPS
from simulators.worktime import after, fit, local_day, office_share, office_times
from simulators.world import phone, pick

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.world import World

# per day at scale 1 (office days only): (method, mean count)
DAILY = (("interaction", 14), ("review_meeting", 4), ("note", 4), ("new_contact", 2),
         ("contact_change", 2), ("account_update", 2), ("rep_task", 5), ("team_rotation", 0.1))
TOPICS = ("Monthly check-in", "Spares consumption review", "Upcoming plant shutdown",
          "Capacity expansion plans", "Payment follow-up", "Feedback on last delivery",
          "Quarterly business review", "Operator training request", "Price revision")
SENTIMENT = (("positive", 35), ("neutral", 50), ("negative", 15))


class AccountUpkeep:
    """The daily account-management work (mixed into `AccountDesk`)."""

    # provided by Desk: k, world, book, at(); by AccountChurn: plan_churn()
    k: Kernel
    world: World
    book: Book
    plan_churn: Callable[[date], None]

    def plan_day(self, day_start: datetime) -> None:
        """Schedule the day's account-management actions (office hours)."""
        day = local_day(day_start)
        share = office_share(day)  # Saturdays are half days, Sundays and holidays closed
        for method, mean in DAILY:
            for when in office_times(day, self.k.count(mean * self.k.scale * share), self.k.rng):
                self.at(when, method)
        if day.weekday() < 6:
            self.plan_churn(day)  # simulators.churn

    def _customer(self) -> AccountFile | None:
        book = self.book
        if not book.customers:
            return None
        account_id = self.k.rng.choices(book.customers, weights=book.customer_weight)[0]
        return book.accounts[account_id]

    def _working_day(self, days: int) -> date:
        """The office day "in `days` days" (working time): never a Sunday or holiday."""
        return local_day(after(self.k.now, 24 * days, "office"))

    def _rep(self, account: AccountFile) -> str | None:
        return account.manager or account.owner

    def _keeper(self, account: AccountFile) -> str:
        """Who acts on the account: its manager, its owner, else sales operations."""
        return self._rep(account) or SALES_OPS

    def interaction(self) -> None:
        """A call, e-mail, meeting or chat with a customer, with its sentiment."""
        account, rng = self._customer(), self.k.rng
        if account is None:
            return
        kind = pick(rng, (("call", 40), ("email", 35), ("meeting", 20), ("chat", 5)))
        self.k.send(RecordInteraction, self.k.new_id("INT"), actor=self._keeper(account),
                    account_id=account.account_id,
                    contact_id=rng.choice(account.contacts) if account.contacts else None,
                    interaction_type=kind, subject=rng.choice(TOPICS),
                    direction=pick(rng, (("outbound", 60), ("inbound", 40))),
                    duration_minutes=rng.choice((5, 10, 15, 30, 45, 60)),
                    sentiment=pick(rng, SENTIMENT), performed_by=self._rep(account))

    def review_meeting(self) -> None:
        """Plan a review meeting or site visit; it takes place a few days later."""
        account, rng = self._customer(), self.k.rng
        if account is None:
            return
        days, minutes = rng.randrange(1, 10), rng.choice((45, 60, 90, 120))
        # "in a few days" means working days, and the meeting fits inside office hours
        when = fit(after(self.k.now, 24 * days, "office"), minutes)
        activity_id = self.k.new_id("ACT")
        kind = pick(rng, (("meeting", 50), ("site_visit", 30), ("presentation", 20)))
        self.k.send(LogActivity, activity_id, actor=self._keeper(account), activity_type=kind,
                    related_to_type="account",
                    related_to_id=account.account_id, account_id=account.account_id,
                    subject=f"{rng.choice(TOPICS)} - {account.name}"[:200], activity_date=when,
                    duration_minutes=minutes,
                    location=f"{account.name} plant" if kind == "site_visit" else None,
                    assigned_to=self._rep(account), created_by=self._rep(account),
                    attendees=account.contacts[:2] or None, reminder_enabled=True,
                    reminder_datetime=when - timedelta(days=1))
        self.at(when + timedelta(minutes=minutes), "complete_meeting", activity_id,
                self._keeper(account))

    def complete_meeting(self, activity_id: str, rep: str = SALES_OPS) -> None:
        """The meeting happened (its rep records how it went); some need a follow-up (the
        core opens a task)."""
        rng = self.k.rng
        follow = rng.random() < 0.4
        self.k.send(CompleteActivity, activity_id, actor=rep,
                    outcome=pick(rng, (("successful", 55), ("follow_up_needed", 30),
                                       ("no_decision", 12), ("lost_interest", 3))),
                    outcome_notes=rng.choice(("Customer happy with uptime.",
                                              "Asked for a revised spares price list.",
                                              "Expansion project budget approved for Q3.")),
                    follow_up_required=follow,
                    follow_up_date=self._working_day(rng.randrange(5, 15)) if follow else None)

    def note(self) -> None:
        """A note on a customer account."""
        account = self._customer()
        if account is not None:
            self.k.send(AddNote, self.k.new_id("NOTE"), actor=self._keeper(account),
                        related_to_type="account",
                        related_to_id=account.account_id, title=self.k.rng.choice(TOPICS),
                        note_text=self.k.rng.choice((
                            "Plant head changed; new contact to be introduced next visit.",
                            "Customer evaluating a second line in the next financial year.",
                            "Prefers quotes with GST split per line.",
                            "Payment usually released in the last week of the month.")),
                        is_private=self.k.chance(0.2), created_by=self._rep(account))

    def new_contact(self) -> None:
        """Someone new at a customer (a new plant head, a buyer)."""
        account = self._customer()
        company = self.world.company(account.name) if account else None
        if account is not None and company is not None:
            add_contacts(self, account.account_id, company, 1, self._rep(account) or "system")

    def contact_change(self) -> None:
        """A contact's role or details change; now and then one unsubscribes."""
        account, rng = self._customer(), self.k.rng
        if account is None or not account.contacts:
            return
        contact_id = rng.choice(account.contacts)
        draw = rng.random()
        if draw < 0.45:
            role = pick(rng, CONTACT_ROLES)
            self.k.send(ChangeContactRole, contact_id, actor=self._keeper(account),
                        contact_role=role,
                        decision_authority=AUTHORITY[role])
        elif draw < 0.95:
            self.k.send(UpdateContact, contact_id, actor=self._keeper(account),
                        job_title=rng.choice(LEAD_TITLES),
                        mobile=phone(rng))
        elif not self.book.contacts[contact_id].opted_out:
            self.k.send(OptOutContact, contact_id, actor=contact_id,  # (the contact asks)
                        reason="Asked not to receive newsletters")

    def account_update(self) -> None:
        """A credit review or a new head count (tiers change at the yearly account review,
        `simulators.tiers`)."""
        account, rng = self._customer(), self.k.rng
        if account is None:
            return
        if rng.random() < 0.5:
            self.k.send(UpdateAccount, account.account_id, actor=self._keeper(account),
                        credit_limit=Decimal(rng.randrange(10, 400) * 100_000),
                        notes="Annual credit review")
        else:  # a head count within the company's size band (a plant does not jump bands)
            low, high = EMPLOYEES.get(account.size or "", EMPLOYEES["medium"])
            self.k.send(UpdateAccount, account.account_id, actor=self._keeper(account),
                        employee_count=rng.randint(low, high))

    def rep_task(self) -> None:
        """A rep notes a to-do for a customer."""
        account, rng = self._customer(), self.k.rng
        if account is None:
            return
        kind = pick(rng, (("follow_up", 60), ("schedule_demo", 20), ("send_quote", 20)))
        label = kind.replace("_", " ").capitalize()
        self.k.send(CreateTask, self.k.new_id("TSK"), actor=self._keeper(account),
                    subject=f"{label} - {account.name}"[:200],
                    related_to_type="account",
                    related_to_id=account.account_id, task_type=kind,
                    priority=pick(rng, (("high", 20), ("medium", 60), ("low", 20))),
                    due_date=self._working_day(rng.randrange(2, 15)),
                    assigned_to=self._rep(account), created_by=self._rep(account))

    def team_rotation(self) -> None:
        """An account manager hands an account over to a colleague."""
        account, rng = self._customer(), self.k.rng
        if account is None:
            return
        current = [(key, member) for key, member in account.team.items()
                   if key.endswith("/account_manager")]
        successor = self.book.any_of(rng, "AM")
        if not current or successor is None or f"{successor}/account_manager" in account.team:
            return
        who = self._keeper(account)  # the outgoing manager hands over
        self.k.send(RemoveAccountTeamMember, account.account_id, actor=who,
                    team_member_id=current[0][1])
        self.k.send(AddAccountTeamMember, account.account_id, actor=who, sales_rep_id=successor,
                    team_role="account_manager")
        self.k.send(UpdateAccount, account.account_id, actor=who, account_manager=successor)
        account.manager = successor
