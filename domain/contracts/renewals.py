"""Contract timers: activation, the renewal alert, and the end of a term.

Renewal alert (`renewal_notice_days` before the end date): ContractRenewalDue, a
contract_review task and a renewal opportunity, both owned by the contract owner.
End of term: an auto-renewing contract is renewed by a new contract (parent_contract_id
= the old one, starting the day after the old end, active at once, with timers of its
own); any other expires. A lost renewal opportunity stops the auto-renewal: the customer
said no, so the contract expires at term (Salesforce CPQ: the contract is marked
not-renewing when its renewal opportunity is closed lost). Timers re-check the contract,
so a terminated contract ignores its old timers."""

from __future__ import annotations

from datetime import timedelta

from domain.activities.agenda import create_task
from domain.contracts.entities import LIVE, Contract
from domain.contracts.lifecycle import draft, midnight, schedule_term, term_end
from domain.contracts.messages import (
    ContractActivated,
    ContractExpired,
    ContractRenewalDue,
    ContractRenewed,
)
from domain.kernel.context import Context
from domain.kernel.messages import Event
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, on_timer
from domain.opportunities.deals import open_opportunity


def _live(ctx: Context, contract_id: str) -> Contract | None:
    contract: Contract | None = ctx.get("contract", contract_id)
    return contract if contract is not None and contract.status in LIVE else None


@on_timer("contract_activation")
def activate(ctx: Context, contract_id: str) -> None:
    """The start date came for a signed contract."""
    contract: Contract | None = ctx.get("contract", contract_id)
    if (contract is not None and contract.status == "signed"
            and ctx.now >= midnight(contract.terms.contract_start_date)):
        ctx.emit(ContractActivated, contract_id)


@on_timer("contract_renewal_alert")
def renewal_alert(ctx: Context, contract_id: str) -> None:
    """Alert once per term: task + renewal opportunity for the contract owner."""
    contract = _live(ctx, contract_id)
    if contract is None or contract.renewal_alerted:
        return
    terms = contract.terms
    if ctx.now < midnight(terms.renewal_date):
        return
    task_id = ctx.new_id("TSK", "renewal")
    opportunity_id = ctx.new_id("OPP", "renewal")
    ctx.emit(ContractRenewalDue, contract_id, renewal_date=terms.renewal_date,
             renewal_task_id=task_id, renewal_opportunity_id=opportunity_id)
    create_task(ctx, task_id, subject=f"Review contract {terms.contract_number} for renewal",
                due_date=contract.end, related_to_type="account", related_to_id=terms.account_id,
                task_type="contract_review", priority="high", assigned_to=terms.contract_owner,
                description=f"{terms.contract_name} ends on {contract.end.isoformat()}.")
    open_opportunity(ctx, opportunity_id,
                     opportunity_name=f"Renewal {terms.contract_number}: {terms.contract_name}"
                     [:200], account_id=terms.account_id, amount=terms.contract_value,
                     close_date=contract.end, opportunity_owner=terms.contract_owner,
                     opportunity_type="renewal", created_by="system")


@on_timer("contract_end")
def end_of_term(ctx: Context, contract_id: str) -> None:
    """Auto-renew into a new active contract, or expire."""
    contract = _live(ctx, contract_id)
    if contract is None or ctx.now < midnight(contract.end + timedelta(days=1)):
        return
    terms = contract.terms
    if not terms.auto_renewal:
        ctx.emit(ContractExpired, contract_id)
        return
    if _renewal_lost(ctx, contract):
        ctx.emit(ContractExpired, contract_id, reason="Renewal opportunity lost")
        return
    new_id = ctx.new_id("CTR", contract_id)
    months = terms.renewal_term_months or ctx.rules.contracts.default_renewal_term_months
    start = contract.end + timedelta(days=1)
    ctx.emit(ContractRenewed, contract_id, renewed_contract_id=new_id)
    copied = terms.payload()
    for derived in ("contract_number", "renewal_date"):
        copied.pop(derived)
    draft(ctx, new_id, {**copied, "contract_start_date": start,
                        "contract_end_date": term_end(start, months),
                        "contract_term_months": months, "parent_contract_id": contract_id,
                        "created_by": "system"})
    ctx.emit(ContractActivated, new_id)
    renewed: Contract = ctx.get("contract", new_id)
    schedule_term(ctx, new_id, start, renewed.end, renewed.terms.renewal_date)


def _renewal_lost(ctx: Context, contract: Contract) -> bool:
    """Whether the contract's renewal opportunity was closed lost."""
    if contract.renewal_opportunity_id is None:
        return False
    opportunity = ctx.get("opportunity", contract.renewal_opportunity_id)
    return opportunity is not None and opportunity.stage == "closed_lost"


@evolves(ContractRenewalDue)
def _renewal_due(contract: Contract, e: ContractRenewalDue) -> Contract:
    return updated(contract, renewal_alerted=True,
                   renewal_opportunity_id=e.renewal_opportunity_id)


@evolves(ContractRenewed, ContractExpired)
def _ended(contract: Contract, _: Event) -> Contract:
    return updated(contract, status="expired")
