"""A deal's fate, drawn when it opens: whether it is won (by type, nudged by lead source),
where a loser falls out, how long its cycle is (growing with the amount, quicker for
repeat business), when each stage comes in the cycle, and the discount it is quoted at.
The sales desk plays the fate out; the opening desk replays it for the previous system's
pipeline (docs/simulation.md has the sources of the rates)."""

from __future__ import annotations

import math
from typing import Any

P_WIN = {"new_business": 0.25, "existing_customer": 0.38, "upsell": 0.35, "renewal": 0.8}
SOURCE_EDGE = {"referral": 0.06, "partner": 0.04, "cold_call": -0.06, "social_media": -0.03}
# Where losers fall out (the opening desk still replays LOSS_STAGES, without prospecting).
LOSS_STAGES = (("qualification", 28), ("needs_analysis", 24), ("proposal", 33),
               ("negotiation", 15))
FALLOUT = (("prospecting", 14), ("qualification", 24), ("needs_analysis", 21),
           ("proposal", 27), ("negotiation", 14))
# Cycle by deal size: median CYCLE_DAYS at CYCLE_AMOUNT (₹8.5 lakh, about $10k), growing
# with the amount ** CYCLE_POWER (₹85 lakh ≈ $100k: 4.4 months; ₹2.1 crore: 6.4), spread
# log-normally (σ 0.3), CYCLE_RANGE days; repeat business is quicker (docs/simulation.md).
CYCLE_DAYS, CYCLE_AMOUNT, CYCLE_POWER, CYCLE_SIGMA = 50.0, 850_000.0, 0.42, 0.3
CYCLE_RANGE = (20.0, 330.0)
REPEAT_PACE = {"existing_customer": 0.75, "upsell": 0.75}
QUOTE_TAIL = 40.0  # days from proposal to the decision, at most (for long cycles)
DISCOUNTS = ((0, 5, 40), (5, 10, 33), (10, 15, 17), (15, 20, 6), (20, 25, 4))
AT = {"qualification": 0.08, "needs_analysis": 0.25, "proposal": 0.5}  # share of the cycle


def cycle_days(rng: Any, amount: float, kind: str = "new_business") -> float:
    """A deal's cycle in days: longer for bigger deals, shorter for repeat business."""
    median = CYCLE_DAYS * (max(float(amount), 100_000.0) / CYCLE_AMOUNT) ** CYCLE_POWER
    days = median * REPEAT_PACE.get(kind, 1.0) * math.exp(rng.gauss(0, CYCLE_SIGMA))
    return min(CYCLE_RANGE[1], max(CYCLE_RANGE[0], days))


def stage_share(stage: str, cycle: float) -> float:
    """Share of the cycle at which a deal enters `stage`: the proposal comes at half the
    cycle, or QUOTE_TAIL days before its end in long ones (months of evaluation, then
    the quote, its revisions and the decision)."""
    if stage == "proposal":
        return max(AT["proposal"], 1 - QUOTE_TAIL / cycle)
    return AT[stage]
