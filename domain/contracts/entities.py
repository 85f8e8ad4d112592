"""The contract as the rules see it, the contracts of an account, and how events evolve them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.contracts.messages import (
    ContractActivated,
    ContractDrafted,
    ContractSentForSignature,
    ContractSigned,
    ContractTerminated,
)
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, indexes
from domain.kernel.state import CrmState

LIVE = ("signed", "active")
ENDED = ("expired", "terminated")
_BY_ACCOUNT = "contracts_by_account"  # account id -> contract ids in drafting order


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


def account_contracts(state: CrmState, account_id: str) -> list[Contract]:
    """The account's contracts, in the order they were drafted."""
    return [state.get("contract", i) for i in state.view(_BY_ACCOUNT).get(account_id, ())]


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
