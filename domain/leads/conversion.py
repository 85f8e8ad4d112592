"""Lead conversion: a qualified lead becomes an account, a contact and an opportunity.

The account is matched by company name (case/space-insensitive) or created; the contact
is matched by e-mail on a matched account or created from the lead's contact fields (no
contact when the lead names nobody); the opportunity is opened through
`domain.opportunities.deals.open_opportunity`, which credits the source campaign, with the lead's
BANT answers carried into its budget, authority, need and timeline columns."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from domain.accounts.entities import find_account_by_name, get_account
from domain.accounts.lifecycle import open_account
from domain.campaigns.lifecycle import record_campaign_outcome
from domain.campaigns.members import flag_opportunity
from domain.contacts.lifecycle import find_contact_by_email, open_contact
from domain.kernel.context import Context, Rejected
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, handles
from domain.leads.entities import Lead, require_lead
from domain.leads.messages import ConvertLead, LeadConverted, LeadFields
from domain.opportunities.deals import open_opportunity
from domain.sales_org.org_chart import get_rep


@handles(ConvertLead)
def convert_lead(ctx: Context, cmd: ConvertLead) -> None:
    """Convert a qualified lead; anything else (or a second conversion) is refused."""
    lead = require_lead(ctx, cmd.aggregate_id)
    if lead.converted:
        raise Rejected(f"lead {lead.lead_id} already converted")
    if lead.status != "qualified":
        raise Rejected(f"lead {lead.lead_id} is {lead.status}, not qualified")
    if get_rep(ctx.state, cmd.converted_by) is None:
        raise Rejected(f"sales rep {cmd.converted_by} does not exist")
    if cmd.account_id and get_account(ctx.state, cmd.account_id) is None:
        raise Rejected(f"account {cmd.account_id} does not exist")
    facts: LeadFields = lead.facts  # type: ignore[assignment]
    owner = lead.assigned_to or cmd.converted_by

    matched = lead.matched_account_id  # duplicate management linked it at capture
    account_id = (cmd.account_id or (matched if get_account(ctx.state, matched) else None)
                  or find_account_by_name(ctx.state, lead.company_name))
    created = account_id is None
    if account_id is None:
        account_id = ctx.new_id("ACC", lead.lead_id)
        open_account(ctx, account_id, account_name=lead.company_name, industry=lead.industry,
                     company_size=lead.company_size, account_owner=owner,
                     billing_city=facts.city, billing_state=facts.state,
                     billing_country=facts.country, created_by=cmd.converted_by)
    contact_id = _contact(ctx, lead, facts, account_id, created, cmd.converted_by)
    opportunity_id = ctx.new_id("OPP", lead.lead_id)
    account = get_account(ctx.state, account_id)
    open_opportunity(
        ctx, opportunity_id, opportunity_name=_name(cmd, lead, facts), account_id=account_id,
        amount=facts.estimated_deal_value or ctx.rules.leads.default_deal_value,
        close_date=_close_date(ctx, facts.expected_close_date), opportunity_owner=owner,
        primary_contact_id=contact_id, lead_source=lead.lead_source, source_lead_id=lead.lead_id,
        source_campaign_id=lead.source_campaign_id,
        opportunity_type="existing_customer" if account and account.account_type == "customer"
        else "new_business",
        product_category=(facts.product_interest or "")[:100] or None,
        created_by=cmd.converted_by, **bant_facts(lead, facts))
    ctx.emit(LeadConverted, lead.lead_id, account_id=account_id, contact_id=contact_id,
             opportunity_id=opportunity_id, account_created=created,
             converted_by=cmd.converted_by)
    if lead.source_campaign_id:
        record_campaign_outcome(ctx, lead.source_campaign_id, lead_converted=True)
        flag_opportunity(ctx, lead.source_campaign_id, lead.lead_id, opportunity_id)


def _contact(ctx: Context, lead: Lead, facts: LeadFields, account_id: str, new_account: bool,
             rep: str) -> str | None:
    """Reuse the account's contact with the lead's e-mail, else create one (if named)."""
    if not new_account:
        existing = find_contact_by_email(ctx.state, account_id, facts.email)
        if existing:
            return existing
    if not (facts.contact_first_name or facts.contact_last_name):
        return None
    contact_id = ctx.new_id("CON", lead.lead_id)
    open_contact(ctx, contact_id, account_id=account_id,
                 first_name=facts.contact_first_name or "Unknown",
                 last_name=facts.contact_last_name or "Unknown", job_title=facts.contact_title,
                 email=facts.email, phone=facts.phone or facts.mobile,
                 contact_role="decision_maker" if lead.bant[1] else None,
                 is_primary=new_account, created_by=rep)
    return contact_id


def bant_facts(lead: Lead, facts: LeadFields) -> dict[str, Any]:
    """The lead's BANT answers as the opportunity's columns (what Salesforce's lead field
    mapping does): budget and authority as they are; the stated deal value becomes the
    confirmed budget; the need is the product interest; the timeline the expected date."""
    budget, authority, need, timeline = lead.bant
    when = facts.expected_close_date
    return dict(
        budget_confirmed=budget,
        budget_amount=facts.estimated_deal_value if budget else None,
        decision_maker_identified=authority,
        customer_requirements=facts.product_interest if need else None,
        customer_timeline=(f"Decision by {when.isoformat()}" if when else "Timeline confirmed")
        if timeline else None,
    )


def _name(cmd: ConvertLead, lead: Lead, facts: LeadFields) -> str:
    if cmd.opportunity_name:
        return cmd.opportunity_name
    return f"{lead.company_name} - {facts.product_interest or 'New business'}"[:200]


def _close_date(ctx: Context, expected: date | None) -> date:
    """The lead's expected close date, unless missing or past: then the default cycle."""
    today = ctx.now.date()
    if expected is not None and expected >= today:
        return expected
    return today + timedelta(days=ctx.rules.leads.default_sales_cycle_days)


@evolves(LeadConverted)
def _converted(lead: Lead, _: LeadConverted) -> Lead:
    return updated(lead, status="converted", converted=True)
