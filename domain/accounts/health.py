"""Account health 0-100 and churn risk, from cases, SLA breaches, sentiment and revenue.

Inputs are collected per account in the `health_inputs` view by indexers on the events
that change them (case and interaction events, and the account's own events), and
the account is marked dirty. On the first clock tick of each day (event time) the dirty
accounts, and those whose inputs age out of their window that day, are rescored;
`AccountHealthScored` is emitted only when the score or the churn risk changed. When the
risk becomes high the account's relationship_status becomes 'at_risk' (never over a
churned or inactive status); when it recovers, the status it had before comes back.

Health is customer health and agrees with the relationship status (docs/rules.md):
prospects are not scored (the row keeps its neutral default, churn_risk NULL); a churned
account scores `churned_health` with high risk; an inactive one is at least medium risk
and one a person marked at_risk at least high. Counted inputs are divided by the
account's expected activity (its tier), so big accounts are not punished for being big,
and SLA breaches count once per case, however many breach events a case has."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from domain.accounts.health_inputs import DIRTY, INPUTS, UNTOUCHED_STATUSES, HealthInputs, inputs_of
from domain.accounts.messages import (
    AccountHealthScored,
)
from domain.kernel.context import Context
from domain.kernel.records import updated
from domain.kernel.rulebook import on_tick
from domain.rules_config import AccountRules

DUE, DAY = "health_due", "health_day"


def score_health(inputs: HealthInputs, today: date, rules: AccountRules) -> tuple[int, str, str]:
    """Score 0-100, churn risk and the points per input; pure.

    Counts are divided by the account's activity weight (its tier) before the points
    per item apply, rounded half up to whole points. The relationship status then caps
    the result (churned, inactive, marked at_risk).
    """
    def recent(day: date, window: int) -> bool:
        return (today - day).days <= window

    weight = Decimal(str(rules.activity_weight_by_tier.get(inputs.tier or "", 1)))

    def per_activity(points: int, count: int) -> int:
        return int((Decimal(points * count) / weight).quantize(Decimal(1), ROUND_HALF_UP))

    if inputs.row_status == "churned":
        return (rules.churned_health, churn_risk_for(rules.churned_health, rules),
                "status=churned")
    negatives = sum(1 for d, s in inputs.sentiments
                    if s == "negative" and recent(d, rules.sentiment_window_days))
    positives = sum(1 for d, s in inputs.sentiments
                    if s == "positive" and recent(d, rules.sentiment_window_days))
    breached = sum(1 for d, _ in inputs.breaches if recent(d, rules.sla_breach_window_days))
    parts = {
        "base": rules.base_health,
        "revenue": rules.recent_revenue_bonus if inputs.last_purchase is not None
        and recent(inputs.last_purchase, rules.revenue_recency_days) else 0,
        "open_cases": -per_activity(rules.open_case_penalty, len(inputs.open_cases)),
        "sla_breaches": -per_activity(rules.sla_breach_penalty, breached),
        "negative": -per_activity(rules.negative_interaction_penalty, negatives),
        "positive": min(per_activity(rules.positive_interaction_bonus, positives),
                        rules.positive_interaction_bonus_max),
    }
    score = max(0, min(100, sum(parts.values())))
    reason = " ".join(f"{name}={points}" for name, points in parts.items())
    cap = _status_cap(inputs, rules)
    if cap is not None and score > cap:
        score, reason = cap, f"{reason} cap={inputs.row_status}"
    return score, churn_risk_for(score, rules), reason


def _status_cap(inputs: HealthInputs, rules: AccountRules) -> int | None:
    """The highest score the relationship status allows, or None."""
    if inputs.row_status == "inactive":
        return rules.inactive_health_max
    if inputs.row_status == "at_risk" and inputs.status_before is None:
        return rules.marked_at_risk_health_max  # a person said so, not this rule
    return None


def churn_risk_for(score: int, rules: AccountRules) -> str:
    """high below churn_high_below, medium below churn_medium_below, else low."""
    if score < rules.churn_high_below:
        return "high"
    return "medium" if score < rules.churn_medium_below else "low"


@on_tick
def daily_health(ctx: Context) -> None:
    """First tick of a day: rescore dirty accounts and those whose inputs aged out."""
    today = ctx.now.date()
    marker: dict[str, date] = ctx.state.view(DAY)
    if marker.get("day") == today:
        return
    marker["day"] = today
    dirty: set[str] = ctx.state.view(DIRTY, set)
    due: dict[date, set[str]] = ctx.state.view(DUE)
    accounts = set(dirty)
    dirty.clear()
    for day in sorted(d for d in due if d <= today):
        accounts |= due.pop(day)
    for account_id in sorted(accounts):
        rescore(ctx, account_id)


def rescore(ctx: Context, account_id: str) -> None:
    """Emit AccountHealthScored if the account's score or risk changed."""
    if ctx.get("account", account_id) is None:
        return  # not created yet: AccountCreated marks it dirty again
    rules, today = ctx.rules.accounts, ctx.now.date()
    inputs = _pruned(inputs_of(ctx.state, account_id), today, rules)
    ctx.state.view(INPUTS)[account_id] = inputs
    expiry = _next_expiry(inputs, rules)
    if expiry is not None:
        ctx.state.view(DUE).setdefault(expiry, set()).add(account_id)
    if inputs.row_status == "prospect":
        return  # not a customer yet: no customer health (the first order makes it one)
    score, risk, reason = score_health(inputs, today, rules)
    status = None
    if risk == "high" and inputs.row_status not in UNTOUCHED_STATUSES:
        status = "at_risk"
    elif risk != "high" and inputs.row_status == "at_risk" and inputs.status_before:
        status = inputs.status_before
    # An unchanged score still speaks when the status disagrees with it: revenue or a
    # person may have set 'active' on a high-risk account (their events write the row).
    if (score, risk) == (inputs.score, inputs.risk) and status is None:
        return
    ctx.emit(AccountHealthScored, account_id, health_score=score, churn_risk=risk,
             relationship_status=status, score_reason=reason)


def _pruned(inputs: HealthInputs, today: date, rules: AccountRules) -> HealthInputs:
    """Drop breaches and sentiments older than their window (they no longer count)."""
    return updated(
        inputs,
        breaches=tuple((d, c) for d, c in inputs.breaches
                       if (today - d).days <= rules.sla_breach_window_days),
        sentiments=tuple((d, s) for d, s in inputs.sentiments
                         if (today - d).days <= rules.sentiment_window_days))


def _next_expiry(inputs: HealthInputs, rules: AccountRules) -> date | None:
    """The first day on which a fact that counts today stops counting."""
    days = [d + timedelta(days=rules.sla_breach_window_days + 1) for d, _ in inputs.breaches]
    days += [d + timedelta(days=rules.sentiment_window_days + 1) for d, _ in inputs.sentiments]
    if inputs.last_purchase is not None:
        days.append(inputs.last_purchase + timedelta(days=rules.revenue_recency_days + 1))
    return min(days, default=None)
