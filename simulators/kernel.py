"""The simulation's machinery: clock, seeded randomness, ids, pending actions, outbox.

Every decision draws from one `random.Random`, every id comes from a counter under a
namespace derived from (seed, start, scale), and pending actions are `(due, seq, desk,
method, args)` tuples in a heap: plain data, so the whole simulation pickles and a
continued copy behaves exactly like the original.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from domain.kernel.messages import Command, Event, Message
from simulators.worktime import after

if TYPE_CHECKING:
    from simulators.book import Book
    from simulators.world import World

Action = tuple[datetime, int, str, str, tuple[Any, ...]]
# Named system principals: who acts when no simulated person does (docs/time-travel.md).
SYSTEM = "system"  # the clock: timers and tick rules run on its TickClock
ERP = "erp"  # the ERP's replies (order created/rejected, customer master)
MIGRATION = "data-migration"  # the installed base and open deals moved from the old system
MASTER_DATA = "master-data"  # the master-data team linking an account to its customer
SALES_OPS = "sales-ops"  # account upkeep of an account that has no owner
SUPPORT = "support-desk"  # a case step while the case has no engineer
CUSTOMER = "customer"  # a customer's action when the simulation knows no contact
MARKETING = "marketing"  # a campaign that has no owner
# A command's own field that names who acts (the rep who moved a stage, a note's author):
# `Kernel.send` takes the first one set as the command's actor unless given `actor=`.
PERFORMERS = ("changed_by", "performed_by", "converted_by", "approver", "recorded_by",
              "prepared_by", "created_by", "campaign_owner")


def actor_of(cls: type[Command], actor: str | None, fields: dict[str, Any]) -> str:
    """Who submits a simulated command: `actor`, else the first PERFORMERS field set.

    Every simulated command names a person or a system principal (docs/time-travel.md,
    "Who"); one that names nobody is a simulator bug, raised here rather than logged as
    nobody.
    """
    if actor:
        return actor
    for name in PERFORMERS:
        value = fields.get(name)
        if isinstance(value, str) and value:
            return value
    raise ValueError(f"who sends {cls.__name__}? pass actor= (the person or system acting)")


class Kernel:
    """Clock, randomness, ids and the heap of pending actions."""

    def __init__(self, seed: int, start: datetime, scale: float) -> None:
        self.seed, self.start, self.scale = seed, start, scale
        key = f"{seed}/{start.isoformat()}/{scale}"
        self.rng = random.Random(f"simulation/{key}")
        self.ns = hashlib.sha256(key.encode()).hexdigest()[:6]
        self.numbers: dict[str, int] = {}
        self.sent = 0
        self.heap: list[Action] = []
        self.seq = 0
        self.now = start
        self.outbox: list[Message] = []
        self.drop_before: datetime | None = None  # while planning: nothing before the start
        # (desk, method, args) -> the last seq to drop (`cancel`), applied at the next pop
        self.cancelled: dict[tuple[str, str, tuple[Any, ...]], int] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("cancelled", {})  # a checkpoint pickled before `cancel` existed
        self.__dict__.update(state)

    def new_id(self, prefix: str) -> str:
        """A fresh id such as `LD-3fa9c1-000042` (prefix, namespace, counter)."""
        n = self.numbers.get(prefix, 0) + 1
        self.numbers[prefix] = n
        return f"{prefix}-{self.ns}-{n:06d}"

    def send(self, cls: type[Command], aggregate_id: str, *, actor: str | None = None,
             **fields: Any) -> Command:
        """Queue a command happening now (submitted when the current action returns),
        submitted by `actor` (default: the person its fields name, see `actor_of`)."""
        who = actor_of(cls, actor, fields)
        self.sent += 1
        command = cls(event_id=f"sim-{self.ns}-{self.sent:09d}", aggregate_id=aggregate_id,
                      occurred_at=self.now, producer="simulator", actor=who, **fields)
        self.outbox.append(command)
        return command

    def schedule(self, due: datetime, desk: str, method: str, *args: Any) -> None:
        """Run `desk.method(*args)` at `due` (never before now)."""
        if self.drop_before is not None and due <= self.drop_before:
            return
        self.seq += 1
        heapq.heappush(self.heap, (max(due, self.now), self.seq, desk, method, args))

    def later(self, hours: float, desk: str, method: str, *args: Any,
              kind: str = "office") -> datetime:
        """Run `desk.method(*args)` `hours` from now, counted in `kind`'s working time
        (`worktime.after`: a delay from Friday afternoon lands on Monday or Tuesday)."""
        due = after(self.now, hours, kind).replace(microsecond=0)
        self.schedule(due, desk, method, *args)
        return due

    def cancel(self, desk: str, method: str, *args: Any) -> None:
        """Drop every pending `desk.method(*args)` planned so far (not those planned later).

        The actions go at the next `pop_due`, in one pass over the heap for all the
        cancellations since the last pop: the go-live migration cancels one action per
        migrated deal, and a pass plus a heapify per deal cost the square of the scale
        (docs/benchmarks.md, session 7). Until then they stay in `heap`, inert.
        """
        self.cancelled[(desk, method, args)] = self.seq

    def pop_due(self, until: datetime) -> Action | None:
        """The earliest pending action due at or before `until`, removed; else None."""
        if self.cancelled:
            self._drop_cancelled()
        if self.heap and self.heap[0][0] <= until:
            return heapq.heappop(self.heap)
        return None

    def _drop_cancelled(self) -> None:
        by_method: dict[tuple[str, str], dict[tuple[Any, ...], int]] = {}
        for (desk, method, args), seq in self.cancelled.items():
            by_method.setdefault((desk, method), {})[args] = seq
        self.cancelled.clear()

        def dropped(action: Action) -> bool:
            last = by_method[action[2:4]]
            try:
                return action[1] <= last.get(action[4], 0)
            except TypeError:  # unhashable arguments: never equal to cancelled ones
                return False

        kept = [a for a in self.heap if a[2:4] not in by_method or not dropped(a)]
        if len(kept) != len(self.heap):  # pops follow (due, seq), unique: any heap order
            heapq.heapify(kept)
            self.heap[:] = kept

    def chance(self, p: float) -> bool:
        """True with probability `p`."""
        return self.rng.random() < p

    def hours(self, low: float, high: float) -> float:
        """A uniform delay in hours."""
        return self.rng.uniform(low, high)

    def count(self, mean: float) -> int:
        """A Poisson-distributed count with this mean (normal approximation above 30)."""
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, n, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            n += 1
            product *= self.rng.random()
        return n


@dataclass
class Stats:
    """What the simulation submitted and got back (for reports and tests)."""

    inputs: dict[str, int] = field(default_factory=dict)
    events: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, int] = field(default_factory=dict)

    def count_input(self, message: Message) -> None:
        """One input submitted."""
        self.inputs[message.event_type] = self.inputs.get(message.event_type, 0) + 1

    def count_event(self, event: Event) -> None:
        """One derived event seen (rejections also by command type and reason)."""
        self.events[event.event_type] = self.events.get(event.event_type, 0) + 1
        if event.event_type == "CommandRejected":
            kind = event.command_type  # type: ignore[attr-defined]
            self.rejected[kind] = self.rejected.get(kind, 0) + 1
            reason = f"{kind}: {_generic(event.reason)}"  # type: ignore[attr-defined]
            self.reasons[reason] = self.reasons.get(reason, 0) + 1

    @property
    def total_inputs(self) -> int:
        """Inputs submitted (clock ticks included)."""
        return sum(self.inputs.values())

    @property
    def total_rejected(self) -> int:
        """Inputs the core refused."""
        return sum(self.rejected.values())


def _generic(reason: str) -> str:
    """A rejection reason without its ids, to group alike reasons."""
    return " ".join(w if not any(c.isdigit() for c in w) else "#" for w in reason.split())[:80]


class Desk:
    """One department of the business: it acts on schedule and reacts to derived events.

    `HANDLES` maps derived event types to the method that learns from them.
    """

    NAME: ClassVar[str] = ""
    HANDLES: ClassVar[dict[str, str]] = {}

    def __init__(self, kernel: Kernel, world: World, book: Book) -> None:
        self.k, self.world, self.book = kernel, world, book

    def later(self, hours: float, method: str, *args: Any, kind: str = "office") -> datetime:
        """Schedule one of this desk's methods `hours` from now, in working hours."""
        return self.k.later(hours, self.NAME, method, *args, kind=kind)

    def at(self, due: datetime, method: str, *args: Any) -> None:
        """Schedule one of this desk's methods at `due` exactly."""
        self.k.schedule(due, self.NAME, method, *args)

    def plan_day(self, day_start: datetime) -> None:
        """Schedule the spontaneous activity of the IST day starting at `day_start`."""
