"""Quote sync: the primary quote's lines are the opportunity's product lines.

Salesforce keeps a synced quote's line items and its opportunity's products the same:
syncing a quote replaces the opportunity's products by the quote's lines, and changing
the synced quote's lines changes them. Here every quote drafted for an opportunity
becomes its primary (synced) quote, and a revision is a new quote, so `draft_quote`
calls `sync_products` each time: the product lines become exactly the quote's lines
(OpportunityProductsSynced) and the amount their sum (OpportunityTermsChanged, emitted
by `domain.quotes.drafting` with its stage-history row).

Row identity: line n keeps the opp_product_id the deal's line n already had, so the
opportunity_products row is rewritten in place; lines beyond the old count get new ids,
and ids of lines the quote no longer has are listed as removed. The ids of a deal's lines
are kept in a view (the Opportunity entity does not carry them)."""

from __future__ import annotations

from collections.abc import Sequence

from domain.kernel.context import Context
from domain.kernel.records import updated
from domain.kernel.rulebook import evolves, indexes
from domain.kernel.state import CrmState
from domain.opportunities.entities import Opportunity, ProductLine
from domain.opportunities.messages import OpportunityProductAdded
from domain.quotes.messages import OpportunityProductsSynced, QuoteLine, SyncedProductLine

LINE_IDS = "opportunity_product_ids"  # view: opportunity_id -> tuple of opp_product_ids


def product_line_ids(state: CrmState, opportunity_id: str) -> tuple[str, ...]:
    """The opp_product_ids of the deal's product lines, in line order."""
    ids: tuple[str, ...] = state.view(LINE_IDS).get(opportunity_id, ())
    return ids


def _same(product: ProductLine, line: SyncedProductLine) -> bool:
    return (product.line_number, product.material_id, product.product_name,
            product.product_description, product.quantity, product.unit_of_measure,
            product.list_price, product.discount_pct, product.unit_price,
            product.line_total) == (
        line.line_number, line.material_id, line.product_name, line.product_description,
        line.quantity, line.unit_of_measure, line.list_price, line.discount_pct,
        line.unit_price, line.line_total)


def sync_products(ctx: Context, opp: Opportunity, quotation_id: str,
                  lines: Sequence[QuoteLine]) -> None:
    """Make the deal's product lines the quote's lines (nothing when they already are).

    A line keeps the required date of the deal's line with the same number and material
    (the quote does not carry one).
    """
    ids = product_line_ids(ctx.state, opp.opportunity_id)
    synced, added = [], []
    for n, line in enumerate(lines):
        old = opp.products[n] if n < len(opp.products) else None
        if n < len(ids):
            opp_product_id = ids[n]
        else:
            opp_product_id = ctx.new_id("OPL", f"{opp.opportunity_id}/sync/{line.line_number}")
            added.append(opp_product_id)
        keep_date = old is not None and old.material_id == line.material_id
        synced.append(SyncedProductLine(
            opp_product_id=opp_product_id, line_number=line.line_number,
            quote_line_id=line.quote_line_id, material_id=line.material_id,
            product_name=line.product_name, product_description=line.product_description,
            quantity=line.quantity, unit_of_measure=line.unit_of_measure,
            list_price=line.list_price, discount_pct=line.discount_pct,
            unit_price=line.unit_price, line_total=line.line_total,
            required_date=old.required_date if keep_date and old else None))
    removed = list(ids[len(lines):])
    unchanged = (len(opp.products) == len(synced) and not removed and not added
                 and all(_same(p, s) for p, s in zip(opp.products, synced, strict=True)))
    if unchanged:
        return
    ctx.emit(OpportunityProductsSynced, opp.opportunity_id, quotation_id=quotation_id,
             lines=synced, added_opp_product_ids=added, removed_opp_product_ids=removed)


@evolves(OpportunityProductsSynced)
def _synced(opp: Opportunity, e: OpportunityProductsSynced) -> Opportunity:
    # The amount is not set here: the OpportunityTermsChanged that follows sets it (and
    # keeps its stage-history row and the forecast views in step).
    return updated(opp, products=tuple(
        ProductLine(ln.line_number, ln.material_id, ln.product_name, ln.product_description,
                    ln.quantity, ln.unit_of_measure, ln.list_price, ln.discount_pct,
                    ln.unit_price, ln.line_total, ln.required_date) for ln in e.lines))


@indexes(OpportunityProductAdded)
def _index_added(state: CrmState, e: OpportunityProductAdded) -> None:
    view = state.view(LINE_IDS)
    view[e.aggregate_id] = (*view.get(e.aggregate_id, ()), e.opp_product_id)


@indexes(OpportunityProductsSynced)
def _index_synced(state: CrmState, e: OpportunityProductsSynced) -> None:
    state.view(LINE_IDS)[e.aggregate_id] = tuple(ln.opp_product_id for ln in e.lines)
