"""Contract commands and events (rules in domain.contracts.lifecycle and renewals)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import BigMoney, Command, Date, Event, Money, Opt, Text

ContractType = Literal["sales", "service", "maintenance", "subscription"]
BillingFrequency = Literal["one_time", "monthly", "quarterly", "annually"]


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


class ContractRenewalDue(Event):
    """The renewal notice period began: a review task and a renewal opportunity exist."""

    AGGREGATE = "contract"

    renewal_date: Date
    renewal_task_id: str = Text(50)
    renewal_opportunity_id: str | None = Opt(50)


class ContractRenewed(Event):
    """The term ended and a new contract continues it (this one's status: expired)."""

    AGGREGATE = "contract"

    renewed_contract_id: str = Text(50, "The new contract")


class ContractExpired(Event):
    """The term ended without renewal."""

    AGGREGATE = "contract"

    reason: str | None = Opt(200, "Why it did not renew, when it was set to auto-renew")
