"""What an account's health is scored from, kept current by indexers on account, case and
interaction events (the health rules read this view, never scan the cases).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.accounts.messages import (
    AccountCreated,
    AccountHealthScored,
    AccountRelationshipChanged,
    AccountRevenueRecorded,
    AccountUpdated,
)
from domain.cases.entities import Case
from domain.cases.messages import CaseClosed, CaseOpened, CaseResolved, CaseSlaViolated
from domain.interactions.messages import InteractionRecorded
from domain.kernel.records import updated
from domain.kernel.rulebook import indexes
from domain.kernel.state import CrmState

INPUTS, DIRTY = "health_inputs", "health_dirty"  # state views: inputs by account, to rescore

UNTOUCHED_STATUSES = ("at_risk", "churned", "inactive")


@dataclass(frozen=True)
class HealthInputs:
    """What the score of one account depends on (facts carry their date for windows)."""

    open_cases: frozenset[str] = frozenset()
    breaches: tuple[tuple[date, str], ...] = ()  # (latest breach day, case id), one per case
    sentiments: tuple[tuple[date, str], ...] = ()
    last_purchase: date | None = None
    row_status: str | None = None  # relationship_status as last written to the row
    status_before: str | None = None  # the status replaced by 'at_risk'
    tier: str | None = None  # account_tier: the activity the counts are divided by
    score: int | None = None
    risk: str | None = None


def inputs_of(state: CrmState, account_id: str) -> HealthInputs:
    """The inputs of one account (empty ones for an account not seen yet)."""
    inputs: HealthInputs = state.view(INPUTS).get(account_id) or HealthInputs()
    return inputs


def _update(state: CrmState, account_id: str | None, inputs: HealthInputs) -> None:
    """Store an account's new inputs and mark it for rescoring."""
    if account_id is None:
        return
    state.view(INPUTS)[account_id] = inputs
    state.view(DIRTY, set).add(account_id)


@indexes(AccountCreated, AccountRelationshipChanged)
def _account_status(state: CrmState, e: AccountCreated | AccountRelationshipChanged) -> None:
    inputs = updated(inputs_of(state, e.aggregate_id), row_status=e.relationship_status,
                     status_before=None)
    if isinstance(e, AccountCreated):
        inputs = updated(inputs, tier=e.account_tier)
    _update(state, e.aggregate_id, inputs)


@indexes(AccountUpdated)
def _account_tier(state: CrmState, e: AccountUpdated) -> None:
    inputs = inputs_of(state, e.aggregate_id)
    if e.account_tier is not None and e.account_tier != inputs.tier:
        _update(state, e.aggregate_id, updated(inputs, tier=e.account_tier))


@indexes(AccountRevenueRecorded)
def _revenue(state: CrmState, e: AccountRevenueRecorded) -> None:
    inputs = updated(inputs_of(state, e.aggregate_id), last_purchase=e.last_purchase_date,
                     row_status=e.relationship_status, status_before=None)
    _update(state, e.aggregate_id, inputs)


@indexes(AccountHealthScored)
def _scored(state: CrmState, e: AccountHealthScored) -> None:
    inputs = updated(inputs_of(state, e.aggregate_id), score=e.health_score, risk=e.churn_risk)
    if e.relationship_status is not None:
        before = inputs.row_status if e.relationship_status == "at_risk" else None
        inputs = updated(inputs, row_status=e.relationship_status, status_before=before)
    state.view(INPUTS)[e.aggregate_id] = inputs


@indexes(CaseOpened)
def _case_opened(state: CrmState, e: CaseOpened) -> None:
    inputs = inputs_of(state, e.account_id)
    _update(state, e.account_id, updated(inputs, open_cases=inputs.open_cases | {e.aggregate_id}))


@indexes(CaseResolved, CaseClosed)
def _case_done(state: CrmState, e: CaseResolved | CaseClosed) -> None:
    case: Case = state.get("case", e.aggregate_id)
    inputs = inputs_of(state, case.account_id)
    if e.aggregate_id in inputs.open_cases:
        _update(state, case.account_id,
                updated(inputs, open_cases=inputs.open_cases - {e.aggregate_id}))


@indexes(CaseSlaViolated)
def _breach(state: CrmState, e: CaseSlaViolated) -> None:
    """A case counts once however many breach events it has (response, resolution, or a
    repeated one); it counts for the window after its latest breach."""
    case: Case = state.get("case", e.aggregate_id)
    inputs = inputs_of(state, case.account_id)
    day = e.occurred_at.date()
    earlier = [d for d, c in inputs.breaches if c == e.aggregate_id]
    if earlier and max(earlier) >= day:
        return
    others = tuple((d, c) for d, c in inputs.breaches if c != e.aggregate_id)
    _update(state, case.account_id,
            updated(inputs, breaches=(*others, (day, e.aggregate_id))))


@indexes(InteractionRecorded)
def _interaction(state: CrmState, e: InteractionRecorded) -> None:
    if e.account_id is None or e.sentiment not in ("positive", "negative"):
        return
    inputs = inputs_of(state, e.account_id)
    fact = (e.interaction_date.date(), e.sentiment)
    _update(state, e.account_id, updated(inputs, sentiments=(*inputs.sentiments, fact)))
