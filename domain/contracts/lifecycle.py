"""Contracts: drafting, signature, termination, and the term's date arithmetic.

A signed contract gets three timers (`schedule_term`): activation on its start date,
the renewal alert `renewal_notice_days` before its end date, and the end of its term at
the start of the day after its end date (a contract is in force all of its last day).
Those rules are in `domain.contracts.renewals`. `renewal_date` is the renewal alert date."""

from __future__ import annotations

from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from domain.contracts.entities import ENDED, LIVE, account_contracts
from domain.contracts.messages import (
    ContractActivated,
    ContractDrafted,
    ContractSentForSignature,
    ContractSigned,
    ContractTerminated,
    DraftContract,
    SendContractForSignature,
    SignContract,
    TerminateContract,
)
from domain.kernel.context import Context, Rejected, require
from domain.kernel.rulebook import handles


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
    contract = require(ctx, "contract", cmd.aggregate_id)
    if contract.status != "draft":
        raise Rejected(f"contract {contract.terms.contract_number} is {contract.status}")
    ctx.emit(ContractSentForSignature, contract.contract_id)


@handles(SignContract)
def sign_contract(ctx: Context, cmd: SignContract) -> None:
    """Sign a draft or sent contract; activates now if its start date has come."""
    contract = require(ctx, "contract", cmd.aggregate_id)
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
    contract = require(ctx, "contract", cmd.aggregate_id)
    if contract.status in ENDED:
        raise Rejected(f"contract {contract.terms.contract_number} is already {contract.status}")
    penalty = cmd.early_termination_penalty
    ctx.emit(ContractTerminated, contract.contract_id, termination_date=ctx.now.date(),
             early_termination_penalty=penalty if penalty is not None
             else contract.terms.early_termination_penalty, reason=cmd.reason)


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
