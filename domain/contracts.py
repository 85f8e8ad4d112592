"""Contracts: drafting, signature, termination, and the term's date arithmetic.

A signed contract gets three timers (`schedule_term`): activation on its start date,
the renewal alert `renewal_notice_days` before its end date, and the end of its term at
the start of the day after its end date (a contract is in force all of its last day).
Those rules are in `domain.contract_renewals`. `renewal_date` is the renewal alert date.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from domain.core import Context, Rejected, evolves, handles, indexes
from domain.messages import BigMoney, Command, Date, Event, Money, Opt, Text
from domain.records import updated
from domain.state import CrmState

ContractType = Literal["sales", "service", "maintenance", "subscription"]
BillingFrequency = Literal["one_time", "monthly", "quarterly", "annually"]
LIVE = ("signed", "active")
ENDED = ("expired", "terminated")
_BY_ACCOUNT = "contracts_by_account"  # account id -> contract ids in drafting order


class ContractFields(BaseModel):
    """The terms of a contract (shared by the command and the event)."""

    contract_name: str = Text(200)
    account_id: str = Text(50)
    contract_type: ContractType | None = None
    contract_start_date: Date
    contract_end_date: Date | None = Field(default=None, description="Default: start + term")
    contract_term_months: int | None = Field(default=None, ge=1, le=600)
    contract_value: BigMoney
    billing_frequency: BillingFrequency | None = None
    auto_renewal: bool = False
    renewal_term_months: int | None = Field(default=None, ge=1, le=600)
    renewal_notice_days: int | None = Field(default=None, ge=0, le=3650)
    termination_notice_days: int | None = Field(default=None, ge=0)
    early_termination_penalty: Money | None = None
    payment_terms: str | None = Opt(50)
    service_level_agreement: str | None = Opt(description="Free text, stored verbatim")
    special_terms: str | None = Opt(description="Free text, stored verbatim")
    contract_owner: str | None = Opt(50, "Sales rep")
    contract_document_url: str | None = Opt(500)
    parent_contract_id: str | None = Opt(50, "The contract this one renews")
    created_by: str | None = Opt(50)


class DraftContract(Command, ContractFields):
    """Draft a contract; give an end date or a term in months."""

    AGGREGATE = "contract"


class ContractDrafted(Event, ContractFields):
    """A contract was drafted (or created by an automatic renewal)."""

    AGGREGATE = "contract"

    contract_number: str = Text(50, "CTR-000001")
    renewal_date: Date = Field(description="Date of the renewal alert")


class SendContractForSignature(Command):
    """Send a draft to the customer for signature."""

    AGGREGATE = "contract"


class ContractSentForSignature(Event):
    """The draft went out for signature."""

    AGGREGATE = "contract"


class SignContract(Command):
    """The customer signed (the date defaults to today)."""

    AGGREGATE = "contract"

    signed_date: Date | None = None


class ContractSigned(Event):
    """The contract was signed; it activates on its start date."""

    AGGREGATE = "contract"

    signed_date: Date


class ContractActivated(Event):
    """The contract's term began."""

    AGGREGATE = "contract"


class TerminateContract(Command):
    """End a contract before its end date."""

    AGGREGATE = "contract"

    early_termination_penalty: Money | None = Field(default=None, description="Default: terms")
    reason: str | None = Opt(description="Free text")


class ContractTerminated(Event):
    """The contract was terminated early."""

    AGGREGATE = "contract"

    termination_date: Date
    early_termination_penalty: Money | None = None
    reason: str | None = Opt()


@dataclass(frozen=True)
class Contract:
    """A contract's status and the terms it was drafted with (for renewal)."""

    contract_id: str
    status: str
    terms: ContractDrafted
    renewal_alerted: bool = False
    renewal_opportunity_id: str | None = None  # set by the renewal alert

    @property
    def end(self) -> date:
        """Last day in force."""
        assert self.terms.contract_end_date is not None
        return self.terms.contract_end_date


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's last day (29 Feb -> 28 Feb)."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    return date(year, month0 + 1, min(day.day, monthrange(year, month0 + 1)[1]))


def term_end(start: date, months: int) -> date:
    """Last day of a term of `months` starting on `start`."""
    return add_months(start, months) - timedelta(days=1)


def notice_date(end: date, notice_days: int) -> date:
    """When the renewal alert is due."""
    return end - timedelta(days=notice_days)


def midnight(day: date) -> datetime:
    """Start of a day in UTC (timers fire on the first tick at or after it)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def draft(ctx: Context, contract_id: str, terms: dict[str, Any]) -> None:
    """Emit ContractDrafted with defaults filled (end date, renewal term, notice days)."""
    rules = ctx.rules.contracts
    start: date = terms["contract_start_date"]
    end: date | None = terms.get("contract_end_date")
    if end is None:
        if terms.get("contract_term_months") is None:
            raise Rejected("give a contract_end_date or a contract_term_months")
        end = term_end(start, terms["contract_term_months"])
    if end < start:
        raise Rejected(f"contract ends ({end}) before it starts ({start})")
    notice = terms.get("renewal_notice_days")
    notice = rules.renewal_notice_days if notice is None else notice
    ctx.emit(ContractDrafted, contract_id, **{
        **terms, "contract_end_date": end, "renewal_notice_days": notice,
        "renewal_term_months": terms.get("renewal_term_months")
        or rules.default_renewal_term_months,
        "contract_number": ctx.next_number("CTR"), "renewal_date": notice_date(end, notice)})


def schedule_term(ctx: Context, contract_id: str, start: date, end: date, notice: date) -> None:
    """Timers of a signed contract: activation, renewal alert, end of term."""
    if start > ctx.now.date():
        ctx.schedule(midnight(start), "contract_activation", contract_id)
    ctx.schedule(midnight(notice), "contract_renewal_alert", contract_id)
    ctx.schedule(midnight(end + timedelta(days=1)), "contract_end", contract_id)


def _contract(ctx: Context, contract_id: str) -> Contract:
    contract: Contract | None = ctx.get("contract", contract_id)
    if contract is None:
        raise Rejected(f"contract {contract_id} does not exist")
    return contract


@handles(DraftContract)
def draft_contract(ctx: Context, cmd: DraftContract) -> None:
    """Draft a contract for an existing account that has not churned."""
    if ctx.get("contract", cmd.aggregate_id) is not None:
        raise Rejected(f"contract {cmd.aggregate_id} already exists")
    if ctx.state.versions.get(("account", cmd.account_id), 0) == 0:
        raise Rejected(f"account {cmd.account_id} does not exist")
    account = ctx.get("account", cmd.account_id)
    if account is not None and account.relationship_status == "churned":
        # A win-back sets the relationship back to active first; until then nothing
        # new is signed with a customer who has left.
        raise Rejected(f"account {cmd.account_id} has churned: reactivate the relationship "
                       "before drafting a contract")
    draft(ctx, cmd.aggregate_id, cmd.payload())


@handles(SendContractForSignature)
def send_for_signature(ctx: Context, cmd: SendContractForSignature) -> None:
    """Only a draft can be sent."""
    contract = _contract(ctx, cmd.aggregate_id)
    if contract.status != "draft":
        raise Rejected(f"contract {contract.terms.contract_number} is {contract.status}")
    ctx.emit(ContractSentForSignature, contract.contract_id)


@handles(SignContract)
def sign_contract(ctx: Context, cmd: SignContract) -> None:
    """Sign a draft or sent contract; activates now if its start date has come."""
    contract = _contract(ctx, cmd.aggregate_id)
    if contract.status not in ("draft", "sent_for_signature"):
        raise Rejected(f"contract {contract.terms.contract_number} is {contract.status}")
    terms = contract.terms
    ctx.emit(ContractSigned, contract.contract_id, signed_date=cmd.signed_date or ctx.now.date())
    if terms.contract_start_date <= ctx.now.date():
        ctx.emit(ContractActivated, contract.contract_id)
    schedule_term(ctx, contract.contract_id, terms.contract_start_date, contract.end,
                  terms.renewal_date)


@handles(TerminateContract)
def terminate_contract(ctx: Context, cmd: TerminateContract) -> None:
    """Terminate a contract that has not ended; the penalty defaults to its terms."""
    contract = _contract(ctx, cmd.aggregate_id)
    if contract.status in ENDED:
        raise Rejected(f"contract {contract.terms.contract_number} is already {contract.status}")
    penalty = cmd.early_termination_penalty
    ctx.emit(ContractTerminated, contract.contract_id, termination_date=ctx.now.date(),
             early_termination_penalty=penalty if penalty is not None
             else contract.terms.early_termination_penalty, reason=cmd.reason)


def account_contracts(state: CrmState, account_id: str) -> list[Contract]:
    """The account's contracts, in the order they were drafted."""
    return [state.get("contract", i) for i in state.view(_BY_ACCOUNT).get(account_id, ())]


def terminate_for_churn(ctx: Context, account_id: str, reason: str | None) -> None:
    """The account churned: every contract of it that has not ended is terminated today.

    Signed and active contracts owe the early-termination penalty of their terms;
    drafts and contracts out for signature were never in force and owe none. Their
    timers then find them terminated and do nothing (no alert, no renewal).
    """
    why = f"Account churned: {reason}" if reason else "Account churned"
    for contract in account_contracts(ctx.state, account_id):
        if contract.status in ENDED:
            continue
        penalty = (contract.terms.early_termination_penalty if contract.status in LIVE
                   else Decimal(0))
        ctx.emit(ContractTerminated, contract.contract_id, termination_date=ctx.now.date(),
                 early_termination_penalty=penalty, reason=why[:500])


@indexes(ContractDrafted)
def _index_by_account(state: CrmState, e: ContractDrafted) -> None:
    ids: list[str] = state.view(_BY_ACCOUNT).setdefault(e.account_id, [])
    if e.aggregate_id not in ids:
        ids.append(e.aggregate_id)


@evolves(ContractDrafted)
def _drafted(_: Contract | None, e: ContractDrafted) -> Contract:
    return Contract(e.aggregate_id, "draft", e)


# One evolve per event (not a shared factory): a status written by a closure registered at
# import is out of mutation testing's reach, and each status is a rule of its own.
@evolves(ContractSentForSignature)
def _sent(contract: Contract, _: ContractSentForSignature) -> Contract:
    return updated(contract, status="sent_for_signature")


@evolves(ContractSigned)
def _signed(contract: Contract, _: ContractSigned) -> Contract:
    return updated(contract, status="signed")


@evolves(ContractActivated)
def _activated(contract: Contract, _: ContractActivated) -> Contract:
    return updated(contract, status="active")


@evolves(ContractTerminated)
def _terminated(contract: Contract, _: ContractTerminated) -> Contract:
    return updated(contract, status="terminated")
