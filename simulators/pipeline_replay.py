"""The previous system's pipeline, replayed (mixed into `OpeningDesk`): the deals opened
in the last `HISTORY_DAYS` days with the sales desk's own fate, cycle and loss-stage
draws, kept when they would still be open on day one, in the stage their age puts them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from simulators.deal_fate import (
    AT,
    CYCLE_RANGE,
    DISCOUNTS,
    FALLOUT,
    P_WIN,
    SOURCE_EDGE,
    cycle_days,
    stage_share,
)
from simulators.worktime import local_day
from simulators.world import deal_value, pick

if TYPE_CHECKING:
    from simulators.kernel import Kernel


HISTORY_DAYS = int(CYCLE_RANGE[1]) + 10  # longer than any deal stays open
# Deals opened per office day (Saturday 0.4) at scale 1 in the steady state, by type:
# 17 / 5 / 0.6 a calendar day, measured over days 90-150 of a 180-day history (seed 7).
# Renewals are not replayed: the contracts' own renewal alerts open them.
OPENED_PER_DAY = (("new_business", 22.0), ("existing_customer", 6.5), ("upsell", 0.8))
SOURCES = (("website", 34), ("social_media", 16), ("cold_call", 14), ("referral", 12),
           ("trade_show", 12), ("partner", 12))


@dataclass(slots=True)
class PastDeal:
    """A deal of the replayed past that is still open on day one."""

    kind: str
    source: str
    created: datetime
    cycle: float
    won: bool
    loss_stage: str | None
    negotiate: bool
    discount: float
    stage: str
    amount: Decimal


def stage_at(age: float, cycle: float, kind: str, negotiate: bool) -> str:
    """The stage a deal `age` days old stands in (the sales desk's shares of its cycle)."""
    share = age / cycle
    if share < AT["qualification"] * (0.6 if kind == "renewal" else 1.0):
        return "prospecting"
    if share < AT["needs_analysis"]:
        return "qualification"
    proposal = stage_share("proposal", cycle)
    if share < proposal:
        return "needs_analysis"
    return "negotiation" if negotiate and age > cycle * proposal + 14 else "proposal"


def still_open(age: float, cycle: float, won: bool, loss_stage: str | None) -> bool:
    """Whether a deal `age` days old has not closed yet: a winner accepts at the end of
    its cycle (re-quoted when a quote lapses first), a loser falls out a little after
    reaching its loss stage, or weeks after the quote."""
    if won:
        return age < cycle
    proposal = stage_share("proposal", cycle) * cycle
    end = {"prospecting": AT["qualification"] * cycle,
           "qualification": AT["needs_analysis"] * cycle,
           "needs_analysis": proposal, "proposal": proposal + 21,
           "negotiation": proposal + 35}.get(loss_stage or "", cycle)
    return age < end


class PipelineReplay:
    """Replays the deals of the previous system (mixed into `OpeningDesk`)."""

    k: Kernel  # provided by Desk

    def replay(self) -> list[PastDeal]:
        """The deals opened in the last HISTORY_DAYS days that are still open today."""
        k = self.k
        today = local_day(k.now)
        kept: list[PastDeal] = []
        for back in range(HISTORY_DAYS, 0, -1):
            day = today - timedelta(days=back)
            if day.weekday() == 6:
                continue
            weight = 0.4 if day.weekday() == 5 else 1.0
            for kind, mean in OPENED_PER_DAY:
                for _ in range(k.count(mean * weight * k.scale)):
                    deal = self._draw(kind, day)
                    if deal is not None:
                        kept.append(deal)
        return kept

    def _draw(self, kind: str, day: date) -> PastDeal | None:
        """One past deal with the sales desk's fate draws; None if it has closed."""
        rng = self.k.rng
        source = pick(rng, SOURCES) if kind == "new_business" else "account_management"
        created = datetime.combine(day, datetime.min.time(), self.k.now.tzinfo) + timedelta(
            hours=rng.uniform(4, 13))  # 09:30-18:30 IST
        won = rng.random() < P_WIN[kind] + SOURCE_EDGE.get(source, 0)
        amount = deal_value(rng, None)
        cycle = cycle_days(rng, float(amount), kind)
        loss = None if won else pick(rng, FALLOUT)
        negotiate = loss == "negotiation" or (won and rng.random() < 0.35)
        age = (self.k.now - created).total_seconds() / 86400
        if not still_open(age, cycle, won, loss):
            return None
        low, high, _ = rng.choices(DISCOUNTS, [w for *_, w in DISCOUNTS])[0]
        stage = stage_at(age, cycle, kind, negotiate)
        return PastDeal(kind, source, created, cycle, won, loss, negotiate,
                        rng.uniform(low, high), stage, amount)
