"""The deal owner's record keeping in the simulation (simulators/deal_records.py): cost
estimates by product line, win reasons that follow the deal, and commands that leave the
rest of the simulated business as it was (issue 14 point 10)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

from simulated_history import START

from domain.opportunities.messages import WIN_REASONS, ChangeOpportunityTerms, RecordWinReason
from simulators.business import BusinessSimulation
from simulators.deal_records import GROSS_MARGIN, NOTE_DELAY_MINUTES, win_reason
from simulators.sales import Deal


def deal(kind: str = "new_business", category: str = "Industrial gearboxes",
         competitors: int = 0, discount: float = 3.0, negotiate: bool = False) -> Deal:
    return Deal("A1", "R1", kind, Decimal("1000000"), START, date(2025, 12, 1), category,
                True, None, 60.0, negotiate, discount, competitors=competitors,
                rival="Orion Gears" if competitors else None)


def reasons(d: Deal, n: int = 2000) -> Counter[str]:
    return Counter(win_reason(d, random.Random(i))[0] for i in range(n))


def test_a_contested_deal_won_at_a_discount_is_most_often_won_on_price() -> None:
    contested = reasons(deal(competitors=1, discount=12.0))
    uncontested = reasons(deal())
    assert 0.32 < contested["Price"] / 2000 < 0.42  # (15 + 35) / 135
    assert contested.most_common(1)[0][0] == "Price"
    assert 0.08 < uncontested["Price"] / 2000 < 0.18  # 15 / 100
    assert uncontested.most_common(1)[0][0] == "Product fit"


def test_a_renewal_is_won_by_the_incumbent_and_its_service_never_by_product_fit() -> None:
    renewal = reasons(deal(kind="renewal"))
    assert set(renewal) == {"Incumbent supplier", "Service and support", "Relationship",
                            "Price"}
    assert renewal.most_common(1)[0][0] == "Incumbent supplier"
    assert set(reasons(deal(kind="upsell"))) <= set(WIN_REASONS)


def test_the_reps_note_names_the_rival_and_the_discount() -> None:
    d = deal(competitors=1, discount=12.4, negotiate=True)
    d.revisions = 2
    notes = {win_reason(d, random.Random(i)) for i in range(200)}
    assert ("Price", "Won against Orion Gears on price: 12 % off list after 2 revisions.") in notes
    assert ("Price", "Best price of the offers received: 7 % off list.") in {
        win_reason(deal(discount=7.2), random.Random(i)) for i in range(200)}
    assert ("Price", "Our list price was below the other offers.") in {
        win_reason(deal(discount=0.3), random.Random(i)) for i in range(200)}


def sales_desk() -> tuple[BusinessSimulation, object]:
    sim = BusinessSimulation(7, START, 0.3)
    desk = sim.desks["sales"]
    desk.deals["O1"] = deal(category="Precision castings")
    return sim, desk


def test_the_cost_estimate_leaves_the_product_lines_margin() -> None:
    sim, desk = sales_desk()
    desk._estimate_cost("O1", desk.deals["O1"], Decimal("1000000"))
    due, _, name, method, (opp_id, fields) = sim.kernel.heap[-1]
    assert (due, name, method, opp_id) == (
        START + timedelta(minutes=NOTE_DELAY_MINUTES), "sales", "note_terms", "O1")
    low, high = GROSS_MARGIN["Precision castings"]
    assert Decimal(1_000_000 * (1 - high)) <= fields["cost_estimate"] <= Decimal(
        1_000_000 * (1 - low))


def test_record_keeping_takes_no_number_from_the_kernels_command_counter() -> None:
    # the core derives quote and order ids from command ids, and the ERP its replies: a
    # renumbering would change the rest of the history
    sim, desk = sales_desk()
    sent, draws = sim.kernel.sent, sim.kernel.rng.getstate()
    desk.note_terms("O1", {"next_step": "Send revised quote"})
    desk.record_win("O1")
    terms, win = sim.kernel.outbox
    assert (sim.kernel.sent, sim.kernel.rng.getstate()) == (sent, draws)
    assert isinstance(terms, ChangeOpportunityTerms) and isinstance(win, RecordWinReason)
    assert (terms.event_id, win.event_id) == (f"sim-{sim.kernel.ns}-rec-000000001",
                                              f"sim-{sim.kernel.ns}-rec-000000002")
    assert win.win_loss_reason in WIN_REASONS and win.recorded_by == "R1"
