"""Measure a simulation run with the real core: volumes, rejections, funnel, timing.

    .venv/bin/python -m simulators.measure --days 180 --scale 1 --seed 42

Folds every input through an in-process `CoreProcessor` and reads the funnel from the
derived events only: lead -> qualified -> converted (for leads old enough to have had
their chance), opportunity win rate and sales cycle, quote outcomes, SLA breach rate,
CSAT, ERP replies.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.kernel.messages import Event, Message, utc
from processors.core import CoreProcessor
from simulators.business import CYCLE, BusinessSimulation


@dataclass
class Funnel:
    """Figures collected from the derived events."""

    leads: dict[str, datetime] = field(default_factory=dict)
    qualified: dict[str, None] = field(default_factory=dict)
    converted: dict[str, None] = field(default_factory=dict)
    opened: dict[str, tuple[datetime, str]] = field(default_factory=dict)
    closed: dict[str, tuple[bool, float, str]] = field(default_factory=dict)
    cases: dict[str, datetime] = field(default_factory=dict)
    breached: dict[str, None] = field(default_factory=dict)
    csat: list[int] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    per_day_inputs: Counter[str] = field(default_factory=Counter)
    amounts: list[float] = field(default_factory=list)

    def see(self, e: Event) -> None:
        """Account for one derived event."""
        kind, key = e.event_type, e.aggregate_id
        self.counts[kind] += 1
        if kind == "LeadCaptured":
            self.leads[key] = e.occurred_at
        elif kind == "LeadQualified":
            self.qualified[key] = None
        elif kind == "LeadConverted":
            self.converted[key] = None
        elif kind == "OpportunityCreated":
            self.opened[key] = (e.occurred_at, e.opportunity_type)  # type: ignore[attr-defined]
        elif kind in ("OpportunityWon", "OpportunityLost") and key in self.opened:
            start, opp_type = self.opened[key]
            days = (e.occurred_at - start).total_seconds() / 86400
            self.closed[key] = (kind == "OpportunityWon", days, opp_type)
            if kind == "OpportunityWon":
                self.amounts.append(float(e.amount))  # type: ignore[attr-defined]
        elif kind == "CaseOpened":
            self.cases[key] = e.occurred_at
        elif kind == "CaseSlaViolated":
            self.breached[key] = None
        elif kind == "CaseSatisfactionRated":
            self.csat.append(e.satisfaction_rating)  # type: ignore[attr-defined]

    def summary(self, end: datetime, mature_days: int = 45) -> dict[str, float]:
        """The funnel figures (rates in %); lead rates over leads older than mature_days."""
        cohort = [k for k, t in self.leads.items() if t <= end - timedelta(days=mature_days)]
        won = [c for c in self.closed.values() if c[0]]
        new_closed = [c for c in self.closed.values() if c[2] == "new_business"]
        c = self.counts
        return {
            "leads": len(self.leads),
            "lead_to_qualified_pct": _pct(sum(k in self.qualified for k in cohort), len(cohort)),
            "lead_to_opportunity_pct": _pct(sum(k in self.converted for k in cohort),
                                            len(cohort)),
            "opportunities": len(self.opened),
            "closed": len(self.closed),
            "win_rate_pct": _pct(len(won), len(self.closed)),
            "new_business_win_rate_pct": _pct(sum(x[0] for x in new_closed), len(new_closed)),
            "avg_won_cycle_days": sum(x[1] for x in won) / len(won) if won else 0.0,
            "avg_won_amount_lakh": sum(self.amounts) / len(self.amounts) / 1e5
            if self.amounts else 0.0,
            "quotes": c["QuoteCreated"], "quotes_accepted": c["QuoteAccepted"],
            "quotes_declined": c["QuoteDeclined"], "quotes_expired": c["QuoteExpired"],
            "approvals": c["QuoteApprovalDecided"],
            "erp_orders": c["IntegrationCompleted"], "erp_refusals": c["IntegrationFailed"],
            "cases": len(self.cases),
            "sla_breach_pct": _pct(len(self.breached), len(self.cases)),
            "escalations": c["CaseEscalated"],
            "csat_avg": sum(self.csat) / len(self.csat) if self.csat else 0.0,
            "contracts_signed": c["ContractSigned"], "renewal_alerts": c["ContractRenewalDue"],
            "contracts_renewed": c["ContractRenewed"], "contracts_expired": c["ContractExpired"],
            "campaigns": c["CampaignPlanned"], "campaign_members": c["CampaignMemberAdded"],
            "forecast_snapshots": c["ForecastSnapshotTaken"],
        }


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


@dataclass
class Run:
    """A simulation driven through the real core, with its figures."""

    sim: BusinessSimulation
    core: CoreProcessor
    funnel: Funnel
    inputs: int = 0
    events: int = 0
    rejected: int = 0
    seconds: float = 0.0
    end: datetime | None = None

    def submit(self, message: Message) -> list[Event]:
        """The driver's submit: fold through the core and watch the events."""
        self.inputs += 1
        self.funnel.per_day_inputs[message.occurred_at.date().isoformat()] += 1
        events = self.core.process(message)
        self.events += len(events)
        for event in events:
            self.rejected += event.event_type == "CommandRejected"
            self.funnel.see(event)
        return events


def simulate(days: float, scale: float = 1.0, seed: int = 42,
             start: datetime | None = None) -> Run:
    """Run `days` of business (a cycle every 30 minutes) through a fresh core."""
    start = start or utc(2025, 7, 1)
    run = Run(BusinessSimulation(seed, start, scale), CoreProcessor(), Funnel())
    t0 = time.perf_counter()
    cycles = round(days * 24 * 60 / 30)
    for n in range(1, cycles + 1):
        run.sim.cycle(start + CYCLE * n, run.submit)
    run.seconds = time.perf_counter() - t0
    run.end = start + CYCLE * cycles
    return run


def main() -> None:
    """Print the figures of one run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=180)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", default="2025-07-01")
    args = parser.parse_args()
    y, m, d = (int(x) for x in args.start.split("-"))
    run = simulate(args.days, args.scale, args.seed, utc(y, m, d))
    assert run.end is not None
    print(f"{args.days:g} days at scale {args.scale:g} (seed {args.seed}): "
          f"{run.seconds:.1f} s in-process with the real core")
    print(f"inputs {run.inputs:,} ({run.inputs / args.days:,.0f}/day), derived events "
          f"{run.events:,} ({run.events / args.days:,.0f}/day)")
    print(f"rejected {run.rejected:,} ({100 * run.rejected / max(1, run.inputs):.2f} %)")
    for reason, n in sorted(run.sim.stats.reasons.items(), key=lambda x: -x[1])[:10]:
        print(f"    {n:6,}  {reason}")
    for name, value in run.funnel.summary(run.end).items():
        print(f"  {name:28} {value:,.2f}" if isinstance(value, float) else
              f"  {name:28} {value:,}")
    weeks = max(1.0, args.days / 7)
    print(f"  leads/day {len(run.funnel.leads) / args.days:.0f}, cases/week "
          f"{len(run.funnel.cases) / weeks:.0f}")


if __name__ == "__main__":
    main()
