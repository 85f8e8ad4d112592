"""contracts rows from contract events."""

from __future__ import annotations

from domain.contracts.messages import (
    ContractActivated,
    ContractDrafted,
    ContractExpired,
    ContractRenewalDue,
    ContractRenewed,
    ContractSentForSignature,
    ContractSigned,
    ContractTerminated,
)
from domain.kernel.messages import Event
from projectors.projection import Upsert, projects, upsert


def _contract(e: Event, **values: object) -> Upsert:
    return upsert("contracts", e, {"contract_id": e.aggregate_id}, updated_at=e.occurred_at,
                  **values)


@projects(ContractDrafted)
def contract_drafted(e: ContractDrafted) -> list[Upsert]:
    """A new contracts row (drafted, or the continuation of an auto-renewed contract)."""
    return [_contract(e, **e.payload(), contract_status="draft", created_at=e.occurred_at)]


@projects(ContractSentForSignature)
def contract_sent(e: ContractSentForSignature) -> list[Upsert]:
    """Out for signature."""
    return [_contract(e, contract_status="sent_for_signature")]


@projects(ContractSigned)
def contract_signed(e: ContractSigned) -> list[Upsert]:
    """Signed."""
    return [_contract(e, contract_status="signed", signed_date=e.signed_date)]


@projects(ContractActivated)
def contract_activated(e: ContractActivated) -> list[Upsert]:
    """In force."""
    return [_contract(e, contract_status="active")]


@projects(ContractRenewalDue)
def contract_renewal_due(e: ContractRenewalDue) -> list[Upsert]:
    """The renewal alert went out."""
    return [_contract(e, renewal_date=e.renewal_date)]


@projects(ContractRenewed, ContractExpired)
def contract_ended(e: ContractRenewed | ContractExpired) -> list[Upsert]:
    """The term ended (a renewal continues it in a new row)."""
    return [_contract(e, contract_status="expired")]


@projects(ContractTerminated)
def contract_terminated(e: ContractTerminated) -> list[Upsert]:
    """Terminated early, with the penalty due."""
    return [_contract(e, contract_status="terminated",
                      early_termination_penalty=e.early_termination_penalty)]
