"""Campaign commands and events (rules in domain.campaigns.lifecycle)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from domain.kernel.messages import (
    BigMoney,
    Command,
    Date,
    DecimalSpec,
    Doc,
    Event,
    Money,
    Opt,
    Percent,
    Text,
    Timestamp,
    WidePercent,
)

CampaignType = Literal["email", "webinar", "trade_show", "content", "social", "partner"]
CostPerLead = Annotated[Decimal, DecimalSpec(12, 2), AfterValidator(DecimalSpec(12, 2))]


class VariantSpec(BaseModel):
    """One A/B variant of a campaign."""

    variant_code: str = Text(10, "A, B, C ...")
    variant_name: str | None = Opt(200)
    content_description: str | None = Opt(description="Free text, stored verbatim")


class PlannedVariant(VariantSpec):
    """A variant with its id."""

    variant_id: str = Text(50)


class CampaignFields(BaseModel):
    """What a plan carries."""

    campaign_name: str = Text(200)
    campaign_type: CampaignType
    start_date: Date
    end_date: Date
    target_audience: str | None = Opt(200)
    target_industry: str | None = Opt(100)
    target_company_size: str | None = Opt(50)
    expected_response_pct: Percent | None = Opt()
    budgeted_cost: Money | None = Opt(description="INR")
    description: str | None = Opt(description="Free text, stored verbatim")
    objectives: str | None = Opt(description="Free text, stored verbatim")
    campaign_owner: str | None = Opt(50, "sales_rep_id")


class PlanCampaign(Command, CampaignFields):
    """Plan a campaign, optionally with A/B variants."""

    AGGREGATE = "campaign"

    variants: list[VariantSpec] = Field(default_factory=list)


class CampaignPlanned(Event, CampaignFields):
    """A campaign was planned (status planned)."""

    AGGREGATE = "campaign"

    campaign_code: str = Text(50, "CMP-000001")
    variants: list[PlannedVariant] = Field(default_factory=list)


class LaunchCampaign(Command):
    """Start a planned campaign."""

    AGGREGATE = "campaign"


class CampaignLaunched(Event):
    """The campaign is in progress."""

    AGGREGATE = "campaign"


class IncurCampaignCost(Command):
    """Book a cost against the campaign."""

    AGGREGATE = "campaign"

    amount: Money = Doc("INR", gt=0)
    cost_description: str | None = Opt(200)


class CampaignCostIncurred(Event):
    """A cost was booked; actual_cost is the new absolute total."""

    AGGREGATE = "campaign"

    amount: Money
    actual_cost: Money
    cost_description: str | None = Opt(200)


class CompleteCampaign(Command):
    """End a running campaign now (it also ends by itself after end_date)."""

    AGGREGATE = "campaign"


class CampaignCompleted(Event):
    """The campaign ended; the A/B winner, if any, is significantly the best responder.

    No winner unless every variant was sent to enough members and the z-test at the
    configured confidence separates the best response rate from every other one.
    """

    AGGREGATE = "campaign"

    winner_variant_id: str | None = Opt(50)
    winner_variant_code: str | None = Opt(10)


class CancelCampaign(Command):
    """Call off a planned or running campaign."""

    AGGREGATE = "campaign"

    reason: str | None = Opt(200)


class CampaignCancelled(Event):
    """The campaign was called off."""

    AGGREGATE = "campaign"

    reason: str | None = Opt(200)


class CampaignResultsUpdated(Event):
    """Absolute campaign results (they agree with the leads and opportunities folded)."""

    AGGREGATE = "campaign"

    total_leads: int = Doc("Leads whose source_campaign_id is this campaign", ge=0)
    qualified_leads: int = Doc("Of those, leads ever qualified", ge=0)
    converted_leads: int = Doc("Of those, leads converted", ge=0)
    opportunities_created: int = Doc("Opportunities attributed to the campaign", ge=0)
    deals_won: int = Doc("Won opportunities attributed to the campaign", ge=0)
    total_revenue: BigMoney
    actual_cost: Money
    roi_pct: WidePercent | None = Opt(description="(revenue - cost) / cost * 100")
    cost_per_lead: CostPerLead | None = Opt(description="actual_cost / total_leads")
    conversion_rate_pct: Percent | None = Opt(description="converted / total leads * 100")


class CampaignVariantStatsUpdated(Event):
    """Absolute counters and rates of one A/B variant."""

    AGGREGATE = "campaign"

    variant_id: str = Text(50)
    variant_code: str = Text(10)
    members_sent: int = Doc("Members added with this variant", ge=0)
    opened: int = Doc("Members who opened (or went further)", ge=0)
    clicked: int = Doc("Members who clicked (or responded)", ge=0)
    responded: int = Doc("Members who responded", ge=0)
    leads_created: int = Doc("Leads created from this variant's members", ge=0)
    open_rate_pct: Percent | None = Opt()
    click_rate_pct: Percent | None = Opt()
    response_rate_pct: Percent | None = Opt()

MemberType = Literal["lead", "contact"]
MemberStatus = Literal["sent", "opened", "clicked", "responded", "bounced", "opted_out",
                       "attributed"]
Response = Literal["opened", "clicked", "responded", "bounced", "opted_out"]


class AddCampaignMember(Command):
    """Send the campaign to a lead or a contact (aggregate_id = the new member id)."""

    AGGREGATE = "campaign_member"

    campaign_id: str = Text(50)
    member_type: MemberType
    lead_id: str | None = Opt(50)
    contact_id: str | None = Opt(50)
    variant_code: str | None = Opt(10, "A/B variant sent to this member")


class CampaignMemberAdded(Event):
    """A member was added (sent), or attributed: created by a lead the campaign produced."""

    AGGREGATE = "campaign_member"

    campaign_id: str = Text(50)
    member_type: MemberType
    lead_id: str | None = Opt(50)
    contact_id: str | None = Opt(50)
    variant_code: str | None = Opt(10)
    member_status: MemberStatus = "sent"
    has_responded: bool = False
    response_date: Timestamp | None = None
    lead_created: bool = False


class RecordCampaignResponse(Command):
    """A member opened, clicked, responded, bounced or opted out."""

    AGGREGATE = "campaign_member"

    response: Response


class CampaignMemberStatusChanged(Event):
    """The member's status moved on."""

    AGGREGATE = "campaign_member"

    member_status: MemberStatus
    has_responded: bool
    response_date: Timestamp | None = None


class CampaignMemberLeadCreated(Event):
    """A lead was created from this member's response."""

    AGGREGATE = "campaign_member"

    lead_id: str = Text(50)


class CampaignMemberOpportunityCreated(Event):
    """The member's lead was converted into an opportunity."""

    AGGREGATE = "campaign_member"

    opportunity_id: str = Text(50)
