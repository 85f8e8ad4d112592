"""Account commands and events (rules in domain.accounts.lifecycle)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from domain.kernel.messages import BigMoney, Command, Date, Doc, Event, Money, Opt, Text

AccountType = Literal["prospect", "customer", "partner", "competitor", "former_customer"]
AccountTier = Literal["strategic", "key", "standard"]
CompanySize = Literal["startup", "small", "medium", "large", "enterprise"]
PaymentTerms = Literal["NET30", "NET60", "COD"]
Relationship = Literal["prospect", "active", "inactive", "at_risk", "churned"]
ContactMethod = Literal["email", "phone", "in_person"]
Frequency = Literal["daily", "weekly", "monthly", "quarterly"]


class AccountProfile(BaseModel):
    """Descriptive account fields; in updates, None means 'unchanged'."""

    industry: str | None = Opt(100)
    industry_segment: str | None = Opt(100)
    account_tier: AccountTier | None = None
    company_size: CompanySize | None = None
    annual_revenue: BigMoney | None = Opt(description="INR")
    employee_count: int | None = Opt(description="Head count")
    credit_limit: Money | None = Opt(description="INR")
    payment_terms: PaymentTerms | None = None
    billing_address_line1: str | None = Opt(200)
    billing_address_line2: str | None = Opt(200)
    billing_city: str | None = Opt(100)
    billing_state: str | None = Opt(100)
    billing_country: str | None = Opt(50)
    billing_postal_code: str | None = Opt(20)
    shipping_address_line1: str | None = Opt(200)
    shipping_address_line2: str | None = Opt(200)
    shipping_city: str | None = Opt(100)
    shipping_state: str | None = Opt(100)
    shipping_country: str | None = Opt(50)
    shipping_postal_code: str | None = Opt(20)
    phone: str | None = Opt(50)
    fax: str | None = Opt(50)
    website: str | None = Opt(200)
    account_owner: str | None = Opt(50, "sales_rep_id of the primary rep")
    account_manager: str | None = Opt(50, "sales_rep_id of the account manager")
    preferred_contact_method: ContactMethod | None = None
    communication_frequency: Frequency | None = None
    linkedin_url: str | None = Opt(200)
    twitter_handle: str | None = Opt(100)
    description: str | None = Opt(description="Free text, stored verbatim")


class NewAccountFields(AccountProfile):
    """What creating an account carries beyond the profile."""

    account_name: str = Text(200)
    account_type: AccountType = "prospect"
    billing_country: str | None = Field(default="India", max_length=50)
    shipping_country: str | None = Field(default="India", max_length=50)
    customer_id: str | None = Opt(50, "Master-data customer, when already known")
    created_by: str | None = Opt(50)
    customer_since: Date | None = Field(
        default=None, description="Migrated customers: when they became one. Default: the "
        "day an account is created as a customer")
    lifetime_value: BigMoney | None = Field(
        default=None, description="Migrated customers: revenue before this CRM (INR); "
        "won revenue adds to it")


class OpenAccount(Command, NewAccountFields):
    """Create an account (a company we sell to, partner with or compete against)."""

    AGGREGATE = "account"


class AccountCreated(Event, NewAccountFields):
    """An account was created."""

    AGGREGATE = "account"

    account_number: str = Text(50, "ACC-000001")
    relationship_status: Relationship = "prospect"


class UpdateAccount(Command, AccountProfile):
    """Change profile fields; fields left None keep their value."""

    AGGREGATE = "account"

    account_name: str | None = Opt(200)
    account_type: AccountType | None = None
    notes: str | None = Opt(description="Free text, stored verbatim")


class AccountUpdated(Event, AccountProfile):
    """Profile fields changed (None = unchanged)."""

    AGGREGATE = "account"

    account_name: str | None = Opt(200)
    account_type: AccountType | None = None
    notes: str | None = Opt()


class SetParentAccount(Command):
    """Make the account a subsidiary of another (None detaches it)."""

    AGGREGATE = "account"

    parent_account_id: str | None = Opt(50)


class AccountParentSet(Event):
    """The account's parent in the hierarchy changed."""

    AGGREGATE = "account"

    parent_account_id: str | None = Opt(50)


class ChangeAccountRelationship(Command):
    """Record a change in the relationship (e.g. at risk, churned)."""

    AGGREGATE = "account"

    relationship_status: Relationship
    reason: str | None = Opt(description="Why, stored verbatim")


class AccountRelationshipChanged(Event):
    """Relationship status changed; a churned customer becomes a former customer."""

    AGGREGATE = "account"

    relationship_status: Relationship
    account_type: AccountType
    reason: str | None = Opt()


class LinkAccountToCustomer(Command):
    """Link the account to its master-data customer."""

    AGGREGATE = "account"

    customer_id: str = Text(50)


class AccountLinkedToCustomer(Event):
    """The account now refers to a master-data customer."""

    AGGREGATE = "account"

    customer_id: str = Text(50)
    customer_since: Date | None = Field(
        default=None, description="Set when the link is the account's first sign of being a "
        "customer (no customer_since yet); None: unchanged")


class AccountRevenueRecorded(Event):
    """Revenue booked for the account (e.g. an ERP sales order); figures are absolute."""

    AGGREGATE = "account"

    amount: BigMoney
    lifetime_value: BigMoney
    ytd_revenue: BigMoney
    last_year_revenue: BigMoney
    revenue_year: int
    last_purchase_date: Date
    customer_since: Date
    relationship_status: Relationship = "active"
    account_type: AccountType = "customer"


class AccountRevenueYearClosed(Event):
    """A new calendar year began: ytd_revenue restarts, last year's moves over."""

    AGGREGATE = "account"

    ytd_revenue: BigMoney
    last_year_revenue: BigMoney
    revenue_year: int

TeamRole = Literal[
    "account_owner", "account_manager", "sales_engineer", "executive_sponsor", "support_lead"
]
AccessLevel = Literal["read", "edit"]


class AddAccountTeamMember(Command):
    """Put a sales rep on the account's team in a role."""

    AGGREGATE = "account"

    sales_rep_id: str = Text(50)
    team_role: TeamRole
    access_level: AccessLevel = "edit"
    start_date: Date | None = Opt(description="Defaults to the day of the command")


class AccountTeamMemberAdded(Event):
    """A rep joined the account team."""

    AGGREGATE = "account"

    team_member_id: str = Text(50)
    sales_rep_id: str = Text(50)
    team_role: TeamRole
    access_level: AccessLevel
    start_date: Date


class RemoveAccountTeamMember(Command):
    """Take a rep off the account team (the row stays, inactive, with an end date)."""

    AGGREGATE = "account"

    team_member_id: str = Text(50)
    end_date: Date | None = Opt(description="Defaults to the day of the command")


class AccountTeamMemberRemoved(Event):
    """A rep left the account team."""

    AGGREGATE = "account"

    team_member_id: str = Text(50)
    end_date: Date

Risk = Literal["low", "medium", "high"]
Relationship = Literal["prospect", "active", "inactive", "at_risk", "churned"]


class AccountHealthScored(Event):
    """The account's health score or churn risk changed (absolute values)."""

    AGGREGATE = "account"

    health_score: int = Doc("0-100", ge=0, le=100)
    churn_risk: Risk
    relationship_status: Relationship | None = Doc("New status, or None: unchanged",
                                                   default=None)
    score_reason: str = Text(500, "Points per input, e.g. 'base=70 open_cases=-6'")
