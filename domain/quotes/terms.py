"""The commercial terms a drafted quotation states: payment, delivery and warranty.

The core drafts quotes itself (at proposal, and on each revision), so the terms come
from defaults, as a quote template and the account's credit terms set them in a CPQ:
- payment: `milestone` for a pre-tax value at or above `milestone_payment_amount`
  (capital equipment: advance with the order, the balance against dispatch and
  commissioning); otherwise, for a customer (an account with an ERP customer master,
  where credit terms are granted), the account's credit terms (NET30 / NET60); a
  prospect's first order, an account without credit terms or on COD pays in `advance`;
- delivery (Incoterms 2020): DAP at the customer's city, with installation and
  commissioning, when a line is an item we install; otherwise FCA at our plant;
- warranty: by material group (`warranty_by_material`), from commissioning for installed
  items, from supply for components; one statement when every line has the same one.
A revision keeps its parent's terms unless ReviseQuote gives new ones (a rep may agree
other terms in negotiation). The account's terms and city are kept in a view."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from domain.accounts.messages import AccountCreated, AccountUpdated
from domain.kernel.context import Context
from domain.kernel.rulebook import indexes
from domain.kernel.state import CrmState
from domain.quotes.messages import QuoteLineInput
from domain.rules_config import QuoteRules

ACCOUNT_TERMS = "quote_account_terms"  # view: account_id -> (payment_terms, city)
CREDIT_TERMS = ("NET30", "NET60")
SUPPLY_MONTHS = 12  # a material no rule names: 12 months from supply


def warranty_of(material_id: str | None, rules: QuoteRules) -> tuple[int, bool]:
    """(months, installed by us) of a material, by the first matching group prefix."""
    for prefix, months, installed in rules.warranty_by_material:
        if material_id and material_id.startswith(prefix):
            return months, installed
    return SUPPLY_MONTHS, False


def warranty_statement(months: int, installed: bool) -> str:
    """The warranty clause of one kind of line."""
    if installed:
        return (f"{months} months from commissioning or {months + 6} months from dispatch, "
                "whichever is earlier; wear parts and consumables excluded")
    return f"{months} months from date of supply against defects in material and workmanship"


def warranty_terms(lines: Sequence[QuoteLineInput], rules: QuoteRules) -> str:
    """One statement when all lines share it, else the statement of each group of lines."""
    groups: dict[str, list[int]] = {}
    for n, line in enumerate(lines, start=1):
        groups.setdefault(warranty_statement(*warranty_of(line.material_id, rules)),
                          []).append(n)
    if len(groups) == 1:
        return next(iter(groups))
    parts = [f"line{'s' if len(ns) > 1 else ''} {', '.join(map(str, ns))}: {text}"
             for text, ns in groups.items()]
    joined = "; ".join(parts)
    return joined[0].upper() + joined[1:]


def payment_terms(account_terms: str | None, net_amount: Decimal, rules: QuoteRules) -> str:
    """milestone for a large order, else the account's credit terms, else advance."""
    if net_amount >= rules.milestone_payment_amount:
        return "milestone"
    return account_terms if account_terms in CREDIT_TERMS else "advance"


def delivery_terms(lines: Sequence[QuoteLineInput], city: str | None,
                   rules: QuoteRules) -> str:
    """DAP at the customer's site (installed items), else FCA at our plant."""
    if any(warranty_of(line.material_id, rules)[1] for line in lines):
        place = city or "buyer's site"
        return f"DAP {place}, Incoterms 2020; installation and commissioning by us"[:100]
    return (f"FCA {rules.dispatch_plant}, Incoterms 2020; freight and insurance to buyer's "
            "account")[:100]


def default_terms(ctx: Context, account_id: str, lines: Sequence[QuoteLineInput],
                  net_amount: Decimal) -> dict[str, str]:
    """payment_terms, delivery_terms and warranty_terms of a newly drafted quote."""
    rules = ctx.rules.quotes
    account_terms, city = ctx.state.view(ACCOUNT_TERMS).get(account_id, (None, None))
    account = ctx.get("account", account_id)
    if account is None or account.customer_id is None:  # no credit granted before a customer
        account_terms = None
    return {"payment_terms": payment_terms(account_terms, net_amount, rules),
            "delivery_terms": delivery_terms(lines, city, rules),
            "warranty_terms": warranty_terms(lines, rules)}


@indexes(AccountCreated, AccountUpdated)
def _index_account(state: CrmState, e: AccountCreated | AccountUpdated) -> None:
    """Keep the account's credit terms and delivery city (None in an update: unchanged)."""
    view = state.view(ACCOUNT_TERMS)
    terms, city = view.get(e.aggregate_id, (None, None))
    view[e.aggregate_id] = (e.payment_terms or terms,
                            e.shipping_city or e.billing_city or city)
