"""The sales organisation: 20 territories and 60 people, their quotas, leave and reviews.

Hierarchy: a VP; three regional directors; six regional managers, each over three to five
territories; 24 account executives, 10 SDRs, 8 key account managers, 8 service engineers.
Headcount and quotas follow demand: each territory's share of enquiries from the market
(`simulators.market.territory_demand`) sets its new-business quota and how many AEs (one at
least) and SDRs it gets, so leads per rep and quota per lead are about even. Leads go
round-robin to the SDRs and AEs of a territory (core rule); an SDR hands a qualified lead
to an AE of the territory; cases go to the service engineers.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from domain.sales_org.messages import ChangeRepStatus, DefineTerritory, HireSalesRep, SetRepQuota
from simulators.book import Rep
from simulators.catalog import TERRITORIES
from simulators.kernel import SALES_OPS, Desk
from simulators.market import territory_demand
from simulators.worktime import at_local, local_day
from simulators.world import Company, email, phone

# region, manager's home territory, territories managed
REGIONS = (
    ("North", "N-NCR", ("IN-AUTO-N", "N-NCR", "N-PB", "N-RJ", "N-UP")),
    ("East", "E-WB", ("IN-ENERGY", "E-OD", "E-WB")),
    ("Mumbai & Maharashtra", "W-MUM", ("IN-AUTO-W", "W-MUM", "W-MH")),
    ("Gujarat & Central", "W-GJ", ("IN-PHARMA", "W-GJ", "W-MP")),
    ("Tamil Nadu & Kerala", "S-TN", ("IN-AUTO-S", "S-TN", "S-KL")),
    ("Karnataka, Telangana & Key Accounts", "S-KA", ("IN-KEY", "S-KA", "S-TG")),
)
DIRECTORS = (("North & East", "N-NCR", (0, 1)), ("West & Central", "W-MUM", (2, 3)),
             ("South", "S-TN", (4, 5)))
AES, SDRS = 24, 10
NEW_BUSINESS_QUOTA = 520 * 10_000_000  # the AEs' annual quota, split by territory demand
AM_REGIONS = (0, 1, 2, 3, 4, 5, 5, 2)  # regions of the 8 key account managers
SE_REGIONS = (0, 1, 2, 3, 4, 5, 2, 4)  # regions of the 8 service engineers
TITLES = {"VP": "Vice President - Sales & Service", "Director": "Regional Sales Director",
          "Manager": "Regional Sales Manager", "AE": "Account Executive",
          "SDR": "Sales Development Representative", "AM": "Key Account Manager",
          "SE": "Service Engineer"}
CRORE = 10_000_000


# Each territory's criteria, casefolded once (None: any value), in TERRITORIES' order:
# territory_code rebuilt these sets for every territory at every call, a few thousand
# calls while the market is laid out (docs/benchmarks.md, session 7).
_CRITERIA = tuple((code, tuple(frozenset(a.casefold() for a in allowed) if allowed else None
                               for allowed in criteria))
                  for code, _, *criteria in TERRITORIES)


def territory_code(company: Company) -> str | None:
    """The territory a company falls in, by the same rule the core applies to leads."""
    values = ("india", company.state.casefold(), company.city.casefold(),
              company.industry.casefold(), company.size)
    best: tuple[int, str] | None = None
    for code, criteria in _CRITERIA:
        score = 0
        for allowed, value in zip(criteria, values, strict=True):
            if allowed is None:
                continue
            if value not in allowed:
                break
            score += 1
        else:
            if best is None or (-score, code) < best:
                best = (-score, code)
    return best[1] if best else None


def headcount(demand: dict[str, float]) -> tuple[dict[str, int], dict[str, int]]:
    """AEs and SDRs per territory: one AE each, the rest where demand per head is highest.

    Highest-averages (D'Hondt) allocation: the extra AEs go by demand per AE (they carry
    the territory's deals), the SDRs by demand per lead-working head (AEs and SDRs share
    the territory's leads round-robin).
    """
    codes = [code for code, *_ in TERRITORIES]
    aes = dict.fromkeys(codes, 1)
    for _ in range(AES - len(codes)):
        best = max(codes, key=lambda c: (demand.get(c, 0) / aes[c], c))
        aes[best] += 1
    sdrs = dict.fromkeys(codes, 0)
    for _ in range(SDRS):
        best = max(codes, key=lambda c: (demand.get(c, 0) / (aes[c] + sdrs[c]), c))
        sdrs[best] += 1
    return aes, sdrs


class OrgDesk(Desk):
    """Sets the organisation up and keeps it moving (leave, quota reviews)."""

    NAME = "org"
    HANDLES = {"SalesRepHired": "on_hired", "RepStatusChanged": "on_status",
               "TerritoryDefined": "on_territory"}

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.quotas: dict[str, Decimal] = {}  # annual quota per rep, as last set

    def setup(self) -> None:
        """Define the territories and hire the 60 people, managers first."""
        rng, k = self.k.rng, self.k
        tids = {code: k.new_id("TER") for code, *_ in TERRITORIES}
        plan: list[dict[str, Any]] = []

        def hire(role: str, territory: str | None, manager: str | None, quota: int = 0,
                 title: str = "") -> str:
            rep_id = k.new_id("REP")
            plan.append(dict(rep_id=rep_id, role=role, territory=territory, manager=manager,
                             quota=quota, title=title or TITLES[role]))
            return rep_id

        vp = hire("VP", None, None)
        directors = [hire("Director", home, vp, title=f"Regional Sales Director - {name}")
                     for name, home, _ in DIRECTORS]
        managers = [hire("Manager", home, directors[next(i for i, d in enumerate(DIRECTORS)
                                                         if r in d[2])],
                         title=f"Regional Sales Manager - {name}")
                    for r, (name, home, _) in enumerate(REGIONS)]
        region_of = {code: r for r, (_, _, codes) in enumerate(REGIONS) for code in codes}
        demand = territory_demand()
        aes, sdrs = headcount(demand)
        for code, *_ in TERRITORIES:
            quota = NEW_BUSINESS_QUOTA * demand.get(code, 0) / aes[code]
            for _ in range(aes[code]):  # quotas a little uneven, as set person by person
                hire("AE", code, managers[region_of[code]],
                     int(quota * rng.uniform(0.93, 1.07)) // 1_000_000 * 1_000_000)
        for code, *_ in TERRITORIES:
            for _ in range(sdrs[code]):
                hire("SDR", code, managers[region_of[code]])
        for r in AM_REGIONS:
            hire("AM", REGIONS[r][1], managers[r], rng.randrange(15, 26) * CRORE)
        for r in SE_REGIONS:
            hire("SE", REGIONS[r][1], managers[r])
        self._roll_up_quotas(plan)
        for code, name, countries, states, cities, industries, sizes in TERRITORIES:
            quota = sum(p["quota"] for p in plan if p["territory"] == code
                        and p["role"] == "AE")  # key account managers: the installed base
            k.send(DefineTerritory, tids[code], actor=SALES_OPS, territory_code=code,
                   territory_name=name,
                   countries=list(countries), states=list(states), cities=list(cities),
                   industries=list(industries), company_size=list(sizes),
                   territory_quota=Decimal(quota) if quota else None,
                   territory_manager=managers[region_of[code]])
        for n, p in enumerate(plan, start=1):
            first, last = self.world.person(rng)
            quota = Decimal(p["quota"]) if p["quota"] else None
            k.send(HireSalesRep, p["rep_id"], actor=SALES_OPS, first_name=first,
                   last_name=last,
                   sales_role=p["role"], employee_id=f"EMP{10_000 + n * 7}",
                   email=email(first, last, "genims.co.in"), phone=phone(rng),
                   mobile=phone(rng), job_title=p["title"],
                   territory_id=tids[p["territory"]] if p["territory"] else None,
                   manager_id=p["manager"], annual_quota=quota,
                   quarterly_quota=quota / 4 if quota else None,
                   hire_date=local_day(k.now) - timedelta(days=rng.randrange(150, 4000)))

    @staticmethod
    def _roll_up_quotas(plan: list[dict[str, Any]]) -> None:
        """Managers carry their team's quota, directors their managers', the VP all."""
        for role in ("Manager", "Director", "VP"):
            for p in plan:
                if p["role"] == role:
                    p["quota"] = sum(q["quota"] for q in plan if q["manager"] == p["rep_id"])

    def plan_day(self, day_start: Any) -> None:
        """Now and then someone takes leave; April brings the new fiscal year's quotas."""
        day = local_day(day_start)
        if day.weekday() == 0 and self.k.chance(0.5):
            self.at(at_local(day, self.k.hours(9.5, 11)), "take_leave")
        if day.month == 4 and day.day == 1:
            self.at(at_local(day, 10), "review_quotas", day)

    def take_leave(self) -> None:
        """A rep goes on leave for one to three weeks."""
        pool = [r for r in self.book.reps.values()
                if r.active and r.role in ("AE", "SDR", "AM", "SE")]
        if not pool:
            return
        rep = self.k.rng.choice(pool)
        self.k.send(ChangeRepStatus, rep.rep_id, actor=self._manager(rep.rep_id),
                    rep_status="on_leave")
        self.later(24 * self.k.hours(5, 20), "come_back", rep.rep_id)

    def come_back(self, rep_id: str) -> None:
        """Back from leave."""
        if not self.book.reps[rep_id].active:
            self.k.send(ChangeRepStatus, rep_id, actor=self._manager(rep_id),
                        rep_status="active")

    def review_quotas(self, day: date) -> None:
        """New fiscal year: quotas of quota-carrying reps go up 5-12 %."""
        for rep_id, quota in list(self.quotas.items()):
            raise_by = self.k.rng.uniform(1.05, 1.12)
            annual = Decimal(int(float(quota) * raise_by) // 100_000 * 100_000)
            self.quotas[rep_id] = annual
            self.k.send(SetRepQuota, rep_id, actor=self._manager(rep_id), annual_quota=annual,
                        quarterly_quota=annual / 4)

    def _manager(self, rep_id: str) -> str:
        """Who records a rep's leave or quota: the rep's manager (the VP's: sales ops)."""
        return self.book.manager_of(rep_id) or SALES_OPS

    def on_territory(self, e: Any) -> None:
        """Learn a territory's id."""
        self.book.territories[e.territory_code] = e.aggregate_id

    def on_hired(self, e: Any) -> None:
        """Learn a rep."""
        self.book.reps[e.aggregate_id] = Rep(e.aggregate_id, e.sales_role, e.territory_id,
                                             e.manager_id)
        if e.annual_quota:
            self.quotas[e.aggregate_id] = e.annual_quota

    def on_status(self, e: Any) -> None:
        """Learn that a rep left for or came back from leave."""
        self.book.reps[e.aggregate_id].active = e.rep_status == "active"
