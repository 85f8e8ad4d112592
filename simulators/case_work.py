"""The support team's work on a case (mixed into `ServiceDesk`): the first response,
asking the customer for details and the customer's reply, working notes, a hand-over to a
specialist, the resolution, the customer's rating and the closing. `ServiceDesk.on_opened`
plans when each step happens; these are the steps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domain.cases.messages import (
    AssignCase,
    CloseCase,
    CommentOnCase,
    CustomerRepliedToCase,
    RateCaseSatisfaction,
    ResolveCase,
    RespondToCase,
    SetCasePendingCustomer,
)
from simulators.catalog import CASE_RESOLUTIONS, ROOT_CAUSES
from simulators.kernel import CUSTOMER

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.kernel import Kernel
    from simulators.service import CaseFile


# CSAT scores and their weights, for a case whose SLA was (True) or was not missed.
CSAT = {False: (5, 4, 3, 2, 1), True: (1, 2, 3, 4, 5)}
CSAT_W = {False: (45, 35, 12, 5, 3), True: (15, 20, 30, 25, 10)}


class CaseWork:
    """The support team's steps on a case (mixed into `ServiceDesk`)."""

    # provided by Desk and ServiceDesk: k, book, cases, later()
    k: Kernel
    book: Book
    cases: dict[str, CaseFile]

    def respond(self, case_id: str) -> None:
        """First response to the customer."""
        case = self.cases.get(case_id)
        if case is not None and not case.responded and case.status in ("new", "escalated"):
            self.k.send(RespondToCase, case_id, actor=case.engineer())

    def wait_for_customer(self, case_id: str) -> None:
        """Ask the customer for information (photos, logs, batch numbers)."""
        case = self.cases.get(case_id)
        if case is not None and case.status in ("in_progress", "escalated"):
            self.k.send(SetCasePendingCustomer, case_id, actor=case.engineer())
            self.k.send(CommentOnCase, case_id, actor=case.engineer(),
                        comment_text="Please share photos of the nameplate and the alarm "
                        "history.", created_by=case.assignee)

    def customer_reply(self, case_id: str) -> None:
        """The customer sends what was asked for."""
        case = self.cases.get(case_id)
        if case is not None and case.status == "pending_customer":
            self.k.send(CustomerRepliedToCase, case_id, actor=case.customer())
            self.k.send(CommentOnCase, case_id, comment_text="Details attached as requested.",
                        created_by=case.customer())

    def late_reply(self, case_id: str) -> None:
        """A customer answers long after the case was auto-resolved."""
        case = self.cases.get(case_id)
        self.k.send(CustomerRepliedToCase, case_id,
                    actor=case.customer() if case is not None else CUSTOMER)

    def comment(self, case_id: str, internal: bool, author: str | None = None) -> None:
        """A working note or an update to the customer."""
        case = self.cases.get(case_id)
        if case is None or case.status in ("resolved", "closed"):
            return
        text = ("Escalation reviewed; senior engineer assigned and customer informed."
                if internal else self.k.rng.choice((
                    "Engineer visit scheduled for tomorrow morning.",
                    "Spare part dispatched; tracking shared.", "Analysing the logs shared.",
                    "Workaround suggested; permanent fix in progress.")))
        self.k.send(CommentOnCase, case_id, actor=author or case.engineer(),
                    comment_text=text, is_public=not internal,
                    created_by=author or case.assignee)

    def reassign(self, case_id: str) -> None:
        """Hand the case to a specialist engineer."""
        case = self.cases.get(case_id)
        other = self.book.any_of(self.k.rng, "SE")
        if case is not None and case.status not in ("resolved", "closed") and other \
                and other != case.assignee:
            self.k.send(AssignCase, case_id, actor=case.engineer(), assigned_to=other,
                        assigned_team="Technical Support")

    def resolve(self, case_id: str) -> None:
        """Solve the case (waiting a little longer if the customer owes an answer)."""
        case = self.cases.get(case_id)
        if case is None or case.status in ("resolved", "closed"):
            return
        if case.status == "pending_customer":
            self.later(self.k.hours(6, 24), "resolve", case_id, kind="support")
            return
        rng = self.k.rng
        self.k.send(ResolveCase, case_id, actor=case.engineer(),
                    resolution=rng.choice(CASE_RESOLUTIONS[case.category]),
                    root_cause=rng.choice(ROOT_CAUSES))

    def rate(self, case_id: str) -> None:
        """The customer's CSAT rating."""
        case = self.cases.pop(case_id, None)
        if case is None or case.status not in ("resolved", "closed"):
            return
        score = self.k.rng.choices(CSAT[case.breached], CSAT_W[case.breached])[0]
        self.k.send(RateCaseSatisfaction, case_id, actor=case.customer(),
                    satisfaction_rating=score,
                    customer_feedback=self.k.rng.choice((
                        None, "Quick response, thanks.", "Took too long to resolve.",
                        "Engineer was knowledgeable.")))

    def close(self, case_id: str) -> None:
        """Support closes a resolved case once the customer confirms."""
        case = self.cases.get(case_id)
        if case is not None and case.status == "resolved":
            self.k.send(CloseCase, case_id, actor=case.engineer())
