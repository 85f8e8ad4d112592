"""opportunities, opportunity_stage_history and opportunity_products rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from domain.kernel.messages import Event
from domain.opportunities.messages import (
    OpportunityCompetitorNoted,
    OpportunityCreated,
    OpportunityLost,
    OpportunityProductAdded,
    OpportunityQuoted,
    OpportunityStageChanged,
    OpportunityTermsChanged,
    OpportunityWon,
)
from projectors.projection import Upsert, projects, upsert


def _opp(e: Event, **values: object) -> Upsert:
    return upsert("opportunities", e, {"opportunity_id": e.aggregate_id}, **values,
                  updated_at=e.occurred_at)


@projects(OpportunityCreated)
def opportunity_created(e: OpportunityCreated) -> list[Upsert]:
    """The opportunities row and its first stage-history row (None -> prospecting).

    A migrated deal's row shows its original creation (`original_created_at`, Salesforce's
    audit fields); its stage history starts when the CRM learnt of it (the event's time).
    """
    fields = e.payload()
    fields.pop("history_id")
    fields.pop("original_created_at", None)
    return [
        _opp(e, **fields, win_loss_status="pending", is_active=True, is_closed=False,
             created_at=e.original_created_at or e.occurred_at),
        upsert("opportunity_stage_history", e, {"history_id": e.history_id},
               opportunity_id=e.aggregate_id, from_stage=None, to_stage=e.stage,
               from_amount=None, to_amount=e.amount, from_probability=None,
               to_probability=e.probability_pct, from_close_date=None,
               to_close_date=e.close_date, change_reason="Opportunity created",
               stage_duration_days=None, changed_by=e.created_by, changed_at=e.occurred_at),
    ]


def change_history(e: OpportunityTermsChanged | OpportunityProductAdded, to_amount: Decimal,
                   to_close_date: date | None) -> list[Upsert]:
    """The stage-history row of an amount or close-date change, in the unchanged stage.

    Events from before these rows existed (no history_id) write none: they do not say
    the stage or the values before.
    """
    if e.history_id is None:
        return []
    return [upsert("opportunity_stage_history", e, {"history_id": e.history_id},
                   opportunity_id=e.aggregate_id, from_stage=e.stage, to_stage=e.stage,
                   from_amount=e.from_amount, to_amount=to_amount,
                   from_probability=e.probability_pct, to_probability=e.probability_pct,
                   from_close_date=e.from_close_date, to_close_date=to_close_date,
                   change_reason=e.change_reason, stage_duration_days=None,
                   changed_by=e.changed_by, changed_at=e.occurred_at)]


@projects(OpportunityProductAdded)
def product_added(e: OpportunityProductAdded) -> list[Upsert]:
    """An opportunity_products row; the opportunity's amount follows the lines (a history
    row when it changed)."""
    return [
        upsert("opportunity_products", e, {"opp_product_id": e.opp_product_id},
               opportunity_id=e.aggregate_id, line_number=e.line_number,
               material_id=e.material_id, product_name=e.product_name,
               product_description=e.product_description, quantity=e.quantity,
               unit_of_measure=e.unit_of_measure, list_price=e.list_price,
               discount_pct=e.discount_pct, unit_price=e.unit_price, line_total=e.line_total,
               required_date=e.required_date, created_at=e.occurred_at),
        _opp(e, amount=e.amount, expected_revenue=e.expected_revenue,
             **({} if e.margin_pct is None else {"margin_pct": e.margin_pct})),
        *change_history(e, e.amount, e.from_close_date),
    ]


@projects(OpportunityTermsChanged)
def terms_changed(e: OpportunityTermsChanged) -> list[Upsert]:
    """New amount, close date and weighted amount, and the history row of the change."""
    values: dict[str, object] = dict(amount=e.amount, close_date=e.close_date,
                                     expected_revenue=e.expected_revenue)
    # None: an event from before these fields existed, or never set; keep the row's value
    for name in ("cost_estimate", "margin_pct", "next_step", "next_step_date"):
        if getattr(e, name) is not None:
            values[name] = getattr(e, name)
    return [_opp(e, **values), *change_history(e, e.amount, e.close_date)]


@projects(OpportunityCompetitorNoted)
def competitor_noted(e: OpportunityCompetitorNoted) -> list[Upsert]:
    """Competitors (JSON array) and our position."""
    values: dict[str, object] = {"competitors": e.competitors}
    if e.competitive_position is not None:
        values["competitive_position"] = e.competitive_position
    return [_opp(e, **values)]


@projects(OpportunityQuoted)
def quoted(e: OpportunityQuoted) -> list[Upsert]:
    """The latest quotation drafted for the deal."""
    return [_opp(e, converted_to_quote_id=e.converted_to_quote_id)]


@projects(OpportunityStageChanged)
def stage_changed(e: OpportunityStageChanged) -> list[Upsert]:
    """A stage-history row and the opportunity's new stage figures."""
    history = e.payload()
    del history["forecast_category"], history["expected_revenue"], history["history_id"]
    return [
        upsert("opportunity_stage_history", e, {"history_id": e.history_id},
               opportunity_id=e.aggregate_id, **history, changed_at=e.occurred_at),
        _opp(e, stage=e.to_stage, probability_pct=e.to_probability, amount=e.to_amount,
             forecast_category=forecast_category(e), expected_revenue=e.expected_revenue),
    ]


def forecast_category(e: OpportunityStageChanged) -> str:
    """The event's category; a lost deal is `omitted` also in logs written before the rule
    said so (they carry `closed`), so a rebuild of an old log meets the contract."""
    return "omitted" if e.to_stage == "closed_lost" else e.forecast_category


@projects(OpportunityWon)
def won(e: OpportunityWon) -> list[Upsert]:
    """Closed won: status, close date and time, who, the ERP order."""
    return [_opp(e, win_loss_status="won", is_closed=True, amount=e.amount,
                 actual_close_date=e.actual_close_date, closed_at=e.occurred_at,
                 closed_by=e.closed_by, converted_to_order_id=e.converted_to_order_id,
                 win_loss_reason=e.win_loss_reason, win_loss_notes=e.win_loss_notes)]


@projects(OpportunityLost)
def lost(e: OpportunityLost) -> list[Upsert]:
    """Closed lost with the reason and the competitor it went to."""
    return [_opp(e, win_loss_status="lost", is_closed=True,
                 actual_close_date=e.actual_close_date, closed_at=e.occurred_at,
                 closed_by=e.closed_by, win_loss_reason=e.win_loss_reason,
                 lost_to_competitor=e.lost_to_competitor, win_loss_notes=e.win_loss_notes)]
