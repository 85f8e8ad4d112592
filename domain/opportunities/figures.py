"""An opportunity's figures: stage probability, forecast category, expected revenue,
line prices, margin and the words for a change of amount or close date.

Pure functions of the thresholds in `OpportunityRules`; no state.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from domain.kernel.messages import money
from domain.rules_config import OpportunityRules

# ---------------------------------------------------------------------------- pure rules

def stage_probability(stage: str, rules: OpportunityRules) -> int:
    """Win probability (0-100) of a stage, from the configured table."""
    return rules.stage_probability[stage]


def forecast_category_for(probability: int, rules: OpportunityRules) -> str:
    """pipeline 0-25, best_case 26-75, commit 76-99, closed 100 (bands from the rules)."""
    if probability <= rules.pipeline_max:
        return "pipeline"
    if probability <= rules.best_case_max:
        return "best_case"
    return "commit" if probability <= rules.commit_max else "closed"


def stage_forecast_category(stage: str, rules: OpportunityRules) -> str:
    """Forecast category of a stage; a lost deal is 'omitted' (Salesforce's term).

    Only a won deal is `closed`: a lost one counted there would inflate every closed
    figure, and it belongs in no open bucket either.
    """
    if stage == "closed_lost":
        return "omitted"
    return forecast_category_for(stage_probability(stage, rules), rules)


def expected_revenue(amount: Decimal, probability: int) -> Decimal:
    """Amount weighted by probability, rounded half-up to paise."""
    return money(amount * probability / 100)


def price_line(quantity: Decimal, list_price: Decimal, discount_pct: Decimal
               ) -> tuple[Decimal, Decimal]:
    """(unit price after discount at 4 places, line total at 2 places)."""
    unit = money(list_price * (100 - discount_pct) / 100, 4)
    return unit, money(quantity * unit)


def describe_change(from_amount: Decimal, to_amount: Decimal, from_close: date,
                    to_close: date) -> str:
    """What a terms change did, for the history row: 'Close date +41 days; amount ...'."""
    parts = []
    if to_close != from_close:
        parts.append(f"Close date {(to_close - from_close).days:+d} days")
    if to_amount != from_amount:
        parts.append(f"Amount {from_amount:.2f} -> {to_amount:.2f}")
    return "; ".join(parts) or "No change"


MARGIN_LIMIT = Decimal("999.99")  # opportunities.margin_pct is dec(5,2)


def margin_pct(amount: Decimal, cost_estimate: Decimal | None) -> Decimal | None:
    """(amount - cost) / amount * 100 to 2 decimals (half up), held to the column's range.

    None without a cost estimate or with a zero amount (no margin to speak of). A cost far
    above a small amount would overflow dec(5,2), so the value is capped at -999.99.
    """
    if cost_estimate is None or amount <= 0:
        return None
    pct = ((amount - cost_estimate) * 100 / amount).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return max(-MARGIN_LIMIT, min(MARGIN_LIMIT, pct))
