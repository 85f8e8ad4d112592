"""Working hours of account managers' work and of the stand-in ERP, and no contact twice
(issue 14 point 5): the account desk plans half a day's work on Saturday and none on
Sundays and holidays, its meetings, follow-ups and to-dos land on office days, and the
ERP back office answers in its own hours."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from simulated_history import History, shared

from domain.erp.messages import CustomerMasterRequested
from domain.kernel.messages import utc
from simulators.book import AccountFile, Book, ContactFile
from simulators.erp import erp_reply, reply_time
from simulators.installed import add_contacts
from simulators.upkeep import AccountUpkeep
from simulators.worktime import IST, day_start, is_holiday, is_open
from simulators.world import Company


def ist(at: datetime) -> datetime:
    """The instant in IST."""
    return at.astimezone(IST)


# -- the ERP back office -------------------------------------------------------------------


def test_the_erp_replies_the_same_working_day_between_8_and_20_ist() -> None:
    rng = random.Random(1)
    monday_1430 = utc(2026, 3, 2, 9, 0)
    for _ in range(500):
        when = ist(reply_time(monday_1430, rng, 1800, 6 * 3600))
        assert when.date() == date(2026, 3, 2) and (14, 59) <= (when.hour, when.minute) < (20, 0)


def test_the_weekends_requests_are_picked_up_in_order_on_monday() -> None:
    # the queue of Saturday 14:00 - Monday 08:00 (42 h, worth 16.5 working hours) is
    # worked off in arrival order (PICKUP_SPREAD 1): 7.5 h into it is 2.95 working hours
    saturday_2130 = utc(2026, 3, 7, 16, 0)
    replies = [ist(reply_time(saturday_2130, random.Random(n), 3600, 8 * 3600))
               for n in range(200)]
    assert {r.date() for r in replies} == {date(2026, 3, 9)}
    assert min(replies).time() >= time(11, 56, 47) and max(replies).time() <= time(18, 56, 47)
    sunday_1030 = utc(2026, 3, 8, 5, 0)  # 20.5 h into the queue: Monday 16:03:12 + 1 h
    assert ist(reply_time(sunday_1030, random.Random(3), 3600, 3600)) == datetime(
        2026, 3, 9, 17, 3, 12, tzinfo=IST)
    monday_0900 = utc(2026, 3, 9, 3, 30)
    assert ist(reply_time(monday_0900, random.Random(3), 3600, 3600)).time() == time(10, 0)


def test_the_erp_back_office_works_saturday_mornings_and_not_on_holidays() -> None:
    saturday_1230 = utc(2026, 3, 7, 7, 0)
    early = [ist(reply_time(saturday_1230, random.Random(n), 1800, 3600)) for n in range(50)]
    assert all(r.date() == date(2026, 3, 7) and r.hour < 14 for r in early)
    late = ist(reply_time(saturday_1230, random.Random(4), 3 * 3600, 3 * 3600))
    assert late == ist(utc(2026, 3, 9, 5, 30))  # 1.5 h left on Saturday: Monday 11:00
    eve_of_gandhi_jayanti = utc(2026, 10, 1, 14, 0)  # Thursday 19:30 IST; Friday a holiday
    reply = ist(reply_time(eve_of_gandhi_jayanti, random.Random(5), 1800, 1800))
    assert reply == ist(utc(2026, 10, 3, 3, 0))  # Saturday 08:30 IST


def test_master_data_answers_a_request_sent_late_on_sunday_from_the_weekends_queue(
) -> None:
    asks = [CustomerMasterRequested(
        event_id=f"ask-{n}", aggregate_id=f"A{n}", occurred_at=utc(2026, 3, 8, 17, 0),
        attempt=1, log_id=f"LOG-{n}", account_id=f"A{n}", account_number=f"ACC-{n}",
        account_name="Acme Forge", account_type="prospect") for n in range(200)]
    # 22:30 IST on Sunday, 32.5 h into the queue (12.8 working hours): Tuesday 08:46
    replies = [ist(erp_reply(a).occurred_at) for a in asks]
    assert {r.date() for r in replies} == {date(2026, 3, 10)}
    assert min(replies).time() >= time(9, 16) and max(replies).time() <= time(14, 47)
    assert [erp_reply(a) for a in asks[:20]] == [erp_reply(a) for a in asks[:20]]


def test_the_erp_reply_time_is_a_pure_function_of_the_request_draw() -> None:
    at = utc(2026, 3, 2, 13, 0)
    assert reply_time(at, random.Random(9), 60, 999) == reply_time(at, random.Random(9), 60, 999)


# -- the account desk ----------------------------------------------------------------------


class FakeDesk(AccountUpkeep):
    """Just enough of a desk to see what the account managers plan and send."""

    def __init__(self, now: datetime) -> None:
        self.planned: list[tuple[datetime, str]] = []
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.k: Any = SimpleNamespace(rng=random.Random(5), scale=1.0, now=now,
                                      count=lambda mean: round(mean),
                                      new_id=lambda prefix: f"{prefix}-{len(self.sent)}",
                                      send=lambda cls, aid, **f: self.sent.append(
                                          (cls.__name__, f)))
        self.plan_churn = lambda day: None
        account = SimpleNamespace(account_id="A1", name="Acme", contacts=["K1"],
                                  manager="AM1", owner="AM1")
        self._customer = lambda: account  # type: ignore[method-assign]

    def at(self, when: datetime, method: str, *args: object) -> None:
        """Record the planned action."""
        self.planned.append((when, method))


def test_account_managers_plan_half_the_work_on_saturday_and_none_on_sundays_or_holidays(
) -> None:
    counts = {}
    for day in (date(2026, 3, 6), date(2026, 3, 7), date(2026, 3, 8),  # Fri, Sat, Sun
                date(2026, 10, 2)):  # Gandhi Jayanti, a Friday
        desk = FakeDesk(day_start(day))
        desk.plan_day(day_start(day))
        counts[day] = len(desk.planned)
        assert all(is_open(when, "office") for when, _ in desk.planned)
    friday, saturday = counts[date(2026, 3, 6)], counts[date(2026, 3, 7)]
    assert friday == 33 and saturday == 15  # DAILY's means: 33.1 a weekday, x 0.45
    assert counts[date(2026, 3, 8)] == counts[date(2026, 10, 2)] == 0


def test_review_meetings_land_in_office_hours_on_working_days() -> None:
    desk = FakeDesk(utc(2026, 3, 6, 12, 0))  # Friday 17:30 IST
    for _ in range(300):
        desk.review_meeting()
    meetings = [fields for kind, fields in desk.sent if kind == "LogActivity"]
    assert len(meetings) == 300
    for fields in meetings:
        start = ist(fields["activity_date"])
        end = start + timedelta(minutes=fields["duration_minutes"])
        assert start.weekday() < 6 and not is_holiday(start.date()) and start.hour >= 9
        assert (end.hour, end.minute) <= ((14, 0) if start.weekday() == 5 else (19, 0))
    # the meeting is marked done when it ends, not two hours after it started
    done = [when for when, method in desk.planned if method == "complete_meeting"]
    assert [ist(w) for w in done] == [
        ist(f["activity_date"]) + timedelta(minutes=f["duration_minutes"]) for f in meetings]


def test_follow_ups_and_to_dos_fall_due_on_office_days() -> None:
    desk = FakeDesk(utc(2026, 9, 30, 10, 0))  # Wednesday; Gandhi Jayanti on Friday
    for _ in range(200):
        desk.rep_task()
        desk.complete_meeting("ACT-1")
    due = [f["due_date"] for kind, f in desk.sent if kind == "CreateTask"]
    follow = [f["follow_up_date"] for kind, f in desk.sent
              if kind == "CompleteActivity" and f["follow_up_date"]]
    assert len(due) == 200 and len(follow) > 50
    for day in due + follow:
        assert day.weekday() < 6 and not is_holiday(day)
    assert date(2026, 10, 2) not in due and min(due) >= date(2026, 10, 1)


# -- no person entered twice ---------------------------------------------------------------


class ContactDesk:
    """A desk whose world draws the people of `people` in turn."""

    def __init__(self, people: list[tuple[str, str]]) -> None:
        self.sent: list[dict[str, Any]] = []
        self.book = Book()
        self.book.accounts["A1"] = AccountFile("A1", "Acme Forge", "Steel", "large",
                                               "Gujarat", "AE1", contacts=["K1"])
        self.book.contacts["K1"] = ContactFile("K1", "A1", ("Asha", "Rao"),
                                               " Asha.Rao@acmeforge.in ")
        draws = iter(people)
        self.world: Any = SimpleNamespace(person=lambda rng: next(draws))
        self.k: Any = SimpleNamespace(rng=random.Random(1), new_id=lambda p: f"{p}-1",
                                      send=lambda cls, aid, **f: self.sent.append(f))


ACME = Company("Acme Forge", "Steel", "large", 800, "Surat", "Gujarat", "acmeforge.in", -1)


def test_a_new_contact_is_never_a_person_the_account_already_holds() -> None:
    desk = ContactDesk([("Asha", "Rao"), ("Vikram", "Shah"), ("Vikram", "Shah"),
                        ("Meera", "Iyer")])
    add_contacts(desk, "A1", ACME, 2, "AM1")  # type: ignore[arg-type]
    assert [f["email"] for f in desk.sent] == ["vikram.shah@acmeforge.in",
                                              "meera.iyer@acmeforge.in"]
    assert not any(f["is_primary"] for f in desk.sent)  # the account has its primary


def test_the_first_contact_of_a_new_account_is_its_primary_decision_maker() -> None:
    desk = ContactDesk([("Vikram", "Shah"), ("Meera", "Iyer")])
    desk.book.accounts["A1"].contacts.clear()
    add_contacts(desk, "A1", ACME, 2, "AM1")  # type: ignore[arg-type]
    assert [(f["is_primary"], f["contact_role"]) for f in desk.sent][0] == (
        True, "decision_maker")
    assert desk.sent[1]["is_primary"] is False


def test_no_contact_is_added_when_only_existing_people_are_drawn() -> None:
    desk = ContactDesk([("Asha", "Rao")] * 5)
    add_contacts(desk, "A1", ACME, 1, "AM1")  # type: ignore[arg-type]
    assert desk.sent == []


# -- a simulated month ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def history() -> History:
    return shared(45, 0.3).first(21)  # the behaviour tests' history, folded once


def test_a_simulated_month_keeps_account_reviews_and_erp_answers_in_working_hours(
        history: History) -> None:
    reviews = [ist(e.activity_date) for e in history.of("ActivityLogged")
               if e.related_to_type == "account"]
    assert len(reviews) >= 10  # enough meetings for the hours check to mean something
    assert not [t for t in reviews if t.weekday() == 6 or is_holiday(t.date())]
    assert all(9 <= t.hour < 19 for t in reviews)
    # what the ERP's answers cause: orders booked, customers linked, refusals logged
    replies = [e.occurred_at for e in history.of(
        "QuoteConverted", "IntegrationCompleted", "IntegrationCustomerCreated",
        "IntegrationFailed")]
    assert len(replies) > 20
    assert [ist(at) for at in replies if not is_open(at, "erp")] == []


def test_a_simulated_month_holds_no_person_twice_at_an_account(history: History) -> None:
    people = Counter((e.account_id, e.email.casefold()) for e in history.of("ContactCreated")
                     if e.email)
    assert len(people) > 300 and max(people.values()) == 1
    # people who join an account later leave its primary contact as it is
    assert [e.aggregate_id for e in history.of("ContactUpdated") if e.is_primary is False] == []
