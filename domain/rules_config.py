"""Every business threshold in one place (design.md, "Default business rules").

Rules receive a `BusinessRules` value; nothing reads thresholds from anywhere else.
Override with `BusinessRules.from_mapping({...})`, e.g. from a JSON file given to the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class LeadRules:
    """Scoring weights (they add up to at most 100), grades and qualification."""

    source_points: dict[str, int] = field(default_factory=lambda: {
        "referral": 20, "partner": 18, "trade_show": 15, "website": 12,
        "social_media": 8, "cold_call": 5,
    })
    company_size_points: dict[str, int] = field(default_factory=lambda: {
        "enterprise": 15, "large": 12, "medium": 9, "small": 5, "startup": 3,
    })
    target_industries: tuple[str, ...] = (
        "Automotive", "Aerospace", "Industrial Machinery", "Electronics", "Energy",
        "Pharmaceuticals", "Food & Beverage", "Chemicals", "Metals", "Heavy Engineering",
    )
    industry_fit_points: int = 15
    bant_points_each: int = 8
    engagement_points_each: int = 3
    engagement_points_max: int = 12
    recency_points: int = 6
    recency_days: int = 14
    grade_a: int = 80
    grade_b: int = 60
    grade_c: int = 40
    qualify_min_score: int = 60
    qualify_min_bant: int = 3
    # Assignment: round-robin among active reps of these roles (territory first, then all).
    assignable_roles: tuple[str, ...] = ("SDR", "AE")
    # Conversion: opportunity amount / close date when the lead does not say.
    default_deal_value: Decimal = Decimal("500000")
    default_sales_cycle_days: int = 90


@dataclass(frozen=True)
class OpportunityRules:
    """Stage probabilities and forecast-category bands."""

    stage_probability: dict[str, int] = field(default_factory=lambda: {
        "prospecting": 10, "qualification": 20, "needs_analysis": 40, "proposal": 60,
        "negotiation": 80, "closed_won": 100, "closed_lost": 0,
    })
    pipeline_max: int = 25
    best_case_max: int = 75
    commit_max: int = 99


@dataclass(frozen=True)
class QuoteRules:
    """Validity and the threshold-based approval levels (domain.quotes.approvals)."""

    valid_days: int = 30
    # Discounts are compared at 2 decimals, strictly above the limit.
    manager_discount_pct: Decimal = Decimal("10")
    director_discount_pct: Decimal = Decimal("20")
    # Pre-tax total (subtotal - discount, GST excluded) above which a VP approves.
    vp_total_amount: Decimal = Decimal("5000000")
    tax_pct: Decimal = Decimal("18")
    # A revision needs a level again only if its value rose above what was approved.
    smart_approvals: bool = True
    # Terms a drafted quote states (domain.quotes.terms). Capital equipment at or above
    # this pre-tax value is sold on milestone payments, whoever the customer is.
    milestone_payment_amount: Decimal = Decimal("10000000")
    dispatch_plant: str = "Chakan (Pune) works"
    # Warranty by material group (material id prefix): months, and whether we install
    # the item (warranty from commissioning, delivered to site) or supply it (warranty
    # from supply, handed over at the plant). Other materials: 12 months from supply.
    warranty_by_material: tuple[tuple[str, int, bool], ...] = (
        ("MAT-CNC", 18, True), ("MAT-ROB", 24, True), ("MAT-CNV", 12, True),
        ("MAT-PNL", 12, True), ("MAT-CMP", 24, True), ("MAT-HYD", 12, False),
        ("MAT-GBX", 18, False), ("MAT-CST", 12, False), ("MAT-FRG", 12, False),
        ("MAT-SVC", 6, False))


@dataclass(frozen=True)
class ErpRules:
    """Retries of rejected sales orders, in event time."""

    max_retries: int = 3
    backoff_minutes: tuple[int, ...] = (30, 120, 480)


@dataclass(frozen=True)
class CaseRules:
    """SLA hours by priority (response, resolution) and pending-customer timers."""

    sla_hours: dict[str, tuple[int, int]] = field(default_factory=lambda: {
        "critical": (1, 8), "high": (4, 24), "medium": (8, 72), "low": (24, 120),
    })
    auto_resolve_pending_days: int = 7
    close_after_resolved_days: int = 3
    team_by_category: dict[str, str] = field(default_factory=lambda: {
        "technical": "Technical Support", "billing": "Billing Support",
        "delivery": "Logistics Support", "quality": "Quality Assurance",
        "other": "General Support",
    })
    default_team: str = "General Support"
    support_role: str = "SE"
    escalation_role: str = "Manager"
    # SLA calendars (domain/calendars/business_hours.py): "24x7" or "business" per priority.
    # All 24x7 by default; issue 13's suggestion is critical "24x7", the others "business".
    calendar_by_priority: dict[str, str] = field(default_factory=lambda: {
        "critical": "24x7", "high": "24x7", "medium": "24x7", "low": "24x7",
    })
    business_utc_offset_minutes: int = 330  # IST, no daylight saving
    business_hours: tuple[int, int] = (9, 18)  # local opening and closing hour
    business_weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday to Friday
    # "MM-DD" every year or "YYYY-MM-DD" once: India's national holidays and Christmas;
    # add the company's festival holidays (Holi, Diwali, ...) per year.
    holidays: tuple[str, ...] = ("01-26", "08-15", "10-02", "12-25")


@dataclass(frozen=True)
class ContractRules:
    """Renewal notice and renewal defaults."""

    renewal_notice_days: int = 60
    default_renewal_term_months: int = 12


@dataclass(frozen=True)
class AccountRules:
    """Health score inputs and churn-risk bands."""

    base_health: int = 70
    open_case_penalty: int = 3
    sla_breach_penalty: int = 8
    negative_interaction_penalty: int = 5
    positive_interaction_bonus: int = 2
    recent_revenue_bonus: int = 15
    revenue_recency_days: int = 90
    churn_high_below: int = 40
    churn_medium_below: int = 60
    positive_interaction_bonus_max: int = 10
    sentiment_window_days: int = 90
    sla_breach_window_days: int = 90
    # Counted inputs (open cases, cases that breached their SLA, sentiments) are divided by
    # the account's expected activity, by tier (the revenue band): a strategic account
    # raises about five times the cases of a standard one, so five open cases there weigh
    # what one does at a standard account. Unknown tier: 1.
    activity_weight_by_tier: dict[str, Decimal] = field(default_factory=lambda: {
        "strategic": Decimal("5"), "key": Decimal("2.5"), "standard": Decimal("1"),
    })
    # Status caps: an inactive customer (no orders for a year) is at least medium risk,
    # a customer a person marked at_risk at least high; a churned one scores churned_health.
    inactive_health_max: int = 59
    marked_at_risk_health_max: int = 39
    churned_health: int = 0


@dataclass(frozen=True)
class CampaignRules:
    """When an A/B test has a winner (docs/rules.md, "Campaigns").

    A two-proportion z-test on response rates (pooled standard error), the leader against
    every other variant, Bonferroni-corrected when there are more than two variants.
    """

    ab_confidence: Decimal = Decimal("0.95")
    ab_min_sends_per_variant: int = 100
    ab_min_expected_responses: int = 5


@dataclass(frozen=True)
class FiscalRules:
    """The one fiscal calendar (quotas, YTD, forecast periods) and the forecast call.

    Default: the Indian financial year, April to March, named by the calendar year it
    ends in (FY2027 = 1 Apr 2026 - 31 Mar 2027); Q1 = Apr-Jun, Q2 = Jul-Sep, Q3 = Oct-Dec,
    Q4 = Jan-Mar. docs/rules.md, "Forecasts and fiscal calendar".
    """

    fiscal_year_start_month: int = 4
    year_named_by_end: bool = True
    # The forecast of a period is called (and frozen) on the first tick of the first
    # business day (Mon-Fri) at or after period start + this many days (0: the period's
    # first business day).
    monthly_call_offset_days: int = 0
    quarterly_call_offset_days: int = 0
    # No call (no sales_forecasts row) for a period whose call day comes less than this
    # many days after the history began. 0: a history that starts mid-stream (a go-live
    # migration carrying the open pipeline with its original creation dates) needs no
    # warm-up; raise it for a CRM that starts with an empty pipeline (docs/rules.md).
    forecast_warmup_days: int = 0


@dataclass(frozen=True)
class BusinessRules:
    """All configurable thresholds of the CRM core."""

    leads: LeadRules = field(default_factory=LeadRules)
    opportunities: OpportunityRules = field(default_factory=OpportunityRules)
    quotes: QuoteRules = field(default_factory=QuoteRules)
    erp: ErpRules = field(default_factory=ErpRules)
    cases: CaseRules = field(default_factory=CaseRules)
    contracts: ContractRules = field(default_factory=ContractRules)
    accounts: AccountRules = field(default_factory=AccountRules)
    campaigns: CampaignRules = field(default_factory=CampaignRules)
    fiscal: FiscalRules = field(default_factory=FiscalRules)

    @classmethod
    def from_mapping(cls, overrides: dict[str, Any]) -> BusinessRules:
        """Defaults with `{"quotes": {"valid_days": 45}, ...}` applied on top."""
        return _merge(cls(), overrides)


def _merge(obj: Any, overrides: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(obj)}
    changes: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in known:
            raise KeyError(f"unknown rule setting {key!r} in {type(obj).__name__}")
        current = getattr(obj, key)
        if is_dataclass(current) and isinstance(value, dict):
            changes[key] = _merge(current, value)
        elif isinstance(current, Decimal):
            changes[key] = Decimal(str(value))
        elif isinstance(current, tuple):
            changes[key] = tuple(value)
        else:
            changes[key] = value
    return replace(obj, **changes)


DEFAULT_RULES = BusinessRules()
