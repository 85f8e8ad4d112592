"""`crm backfill`: history generated in-process, published, projected, archived.

Phases, each resumable after a crash at any point:
1. generate: the simulation and the core run in-process (the fast runtime); every input
   and derived record is written, in produce order, to `<run>/log.avro` (atomically:
   a crash leaves no half file, and the run is deterministic, so it is simply redone;
   backfill/runlog.py). `crm backfill` also hands each record to a publisher process that
   publishes it at once (backfill/publisher_process.py);
2. publish: records are placed by Kafka's default partitioner, so a partition already
   holding k records of this run skips its first k: nothing lost, nothing doubled. Once
   the log file is complete, a rerun publishes from it instead of generating. The core
   worker's group is then positioned after the history, so `crm run` carries on there;
3. project and 4. archive (local broker only) run from the start in processes of their
   own, following the topics (backfill/run.py, backfill/followers.py); offsets live with
   the rows in PostgreSQL, the archive knows its own length.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from backfill.runlog import LogFile, RecordSink
from domain.kernel.messages import Event, Message
from domain.kernel.system import CommandRejected
from events.topics import COMMANDS, topic_for_type
from processors.core import CoreProcessor
from simulators.checkpoint import save_checkpoint

CYCLE = timedelta(minutes=30)


def last_tick(moment: datetime) -> datetime:
    """The last 30-minute tick (:00 or :30 UTC) at or before `moment`."""
    moment = moment.astimezone(UTC).replace(second=0, microsecond=0)
    return moment - timedelta(minutes=moment.minute % 30)


@dataclass(frozen=True)
class BackfillPlan:
    """What to generate: `days` of history ending at the end of `end_date` (UTC).

    `until` (a 30-minute tick within `end_date`) stops the history there instead: a
    history ending today stops at the last tick at or before now, so nothing in it is
    stamped after the moment the command ran (`BackfillPlan.ending`). It starts at the same
    midnight either way, so a history cut at a tick is the start of the whole day's one.
    """

    days: int
    seed: int
    end_date: date
    scale: float = 1.0
    until: datetime | None = None

    def __post_init__(self) -> None:
        if self.until is None:
            return
        day = datetime.combine(self.end_date, time(), UTC)
        if (self.until.tzinfo is None or self.until != last_tick(self.until)
                or not day <= self.until < day + timedelta(days=1)):
            raise ValueError(f"until {self.until} is not a 30-minute tick (UTC) within "
                             f"{self.end_date}")

    @classmethod
    def ending(cls, days: int, seed: int, end_date: date | None, scale: float,
               now: datetime) -> BackfillPlan:
        """The plan of `crm backfill`: the end date defaults to today (UTC).

        A history ending today stops at the last tick at or before `now`; a past end date
        ends at the end of that day (same seed and end date, same history); a future
        one is refused (ValueError): a history cannot contain what has not happened.
        """
        today = now.astimezone(UTC).date()
        end = today if end_date is None else end_date
        if end > today:
            raise ValueError(f"the end date {end} is in the future (today is {today}, UTC)")
        return cls(days, seed, end, scale, last_tick(now) if end == today else None)

    @property
    def run_id(self) -> str:
        cut = f"T{self.until:%H%M}" if self.until is not None else ""
        return (f"seed{self.seed}-end{self.end_date:%Y%m%d}{cut}-days{self.days}"
                f"-scale{self.scale:g}")

    @property
    def day_end(self) -> datetime:
        """Midnight after `end_date`."""
        return datetime.combine(self.end_date + timedelta(days=1), time(), UTC)

    @property
    def end(self) -> datetime:
        """The last tick of the history (the simulation's and the checkpoint's clock)."""
        return self.until if self.until is not None else self.day_end

    @property
    def start(self) -> datetime:
        """Midnight `days` days before `day_end` (whether or not the last day is cut)."""
        return self.day_end - timedelta(days=self.days)


@dataclass
class GenerateStats:
    """Counts of what the generation produced."""

    inputs: int = 0
    events: int = 0
    rejections: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)


def run_dir(home: Path, plan: BackfillPlan) -> Path:
    """Where a run keeps its log and its phase markers."""
    return home / "backfill" / plan.run_id


def same_day_run(home: Path, plan: BackfillPlan) -> BackfillPlan:
    """A history cut today continues the run already started today, if there is one.

    Its cut is kept (the earliest, if there are several), so a rerun after a crash
    finishes that very run, and a rerun later in the day republishes it instead of a
    longer history that Kafka would hold in part (and the live records after it).
    """
    if plan.until is None:
        return plan
    pattern = f"seed{plan.seed}-end{plan.end_date:%Y%m%d}T*-days{plan.days}-scale{plan.scale:g}"
    names = (p.name for p in (home / "backfill").glob(pattern) if p.is_dir())
    cuts = sorted(cut for name in names if (cut := name.split("T")[1][:4]).isdigit())
    if not cuts:
        return plan
    hours, minutes = int(cuts[0][:2]), int(cuts[0][2:])
    return replace(plan, until=datetime.combine(plan.end_date, time(hours, minutes), UTC))


def generate(plan: BackfillPlan, directory: Path, simulation_factory: Callable[..., Any],
             progress: Callable[[int, int], None] | None = None,
             sink: RecordSink | None = None) -> GenerateStats:
    """Phase 1: simulate + fold in-process, writing `log.avro`; skipped when complete.

    `sink` also receives every record, in produce order (the backfill's publisher
    process); the run is marked generated once the log file is complete and
    `sink.finish()` has returned.
    """
    marker = directory / "generated.json"
    if marker.exists():
        return GenerateStats(**json.loads(marker.read_text()))
    directory.mkdir(parents=True, exist_ok=True)
    core = CoreProcessor()
    sim = simulation_factory(plan.seed, plan.start, plan.scale, erp_in_process=True)
    stats = GenerateStats()
    buffer: list[tuple[str, str, bytes]] = []
    # what `core.encode` gives, without an `Outgoing` per event; the topic is the class's
    # (an event's aggregate_type is its class's AGGREGATE once validated)
    encode, process, by_topic = core.codec.encode, core.process, stats.by_topic
    append = buffer.append

    def submit(message: Message) -> list[Event]:
        stats.inputs += 1
        append((COMMANDS, message.aggregate_id, encode(message)))
        events = process(message)
        for event in events:
            cls = type(event)
            topic = topic_for_type(cls)
            by_topic[topic] = by_topic.get(topic, 0) + 1
            append((topic, event.aggregate_id, encode(event)))
            if cls is CommandRejected:
                stats.rejections += 1
        stats.events += len(events)
        return events

    log = LogFile(directory, plan.run_id)
    outputs = [log.send_all] if sink is None else [log.send_all, sink.send_all]
    cycles = int((plan.end - plan.start) / CYCLE)
    try:
        with few_collections():
            for n in range(1, cycles + 1):
                sim.cycle(plan.start + CYCLE * n, submit)
                for send_all in outputs:
                    send_all(buffer)
                buffer.clear()
                if progress is not None and n % 48 == 0:
                    progress(n // 48, plan.days)
    except BaseException:
        log.abandon()
        raise
    log.finish()
    # the checkpoint is written while the sink's last records are still being published
    # (it was on the critical path after them: docs/benchmarks.md, backfill item 18)
    save_checkpoint(directory / "checkpoint.pkl", sim, core.state, plan.end)
    if sink is not None:
        sink.finish()
    marker.write_text(json.dumps(asdict(stats)))
    return stats


@contextlib.contextmanager
def few_collections(threshold: int = 50_000) -> Iterator[None]:
    """Collect cyclic garbage less often while generating.

    The generator's heap is mostly state that lives to the end (accounts, leads, timers),
    which every older-generation collection re-scans; collecting less often halves the
    time in the collector, a small share of the generation's CPU but never worse
    (docs/benchmarks.md, item 13).
    """
    old = gc.get_threshold()
    gc.set_threshold(threshold, old[1], old[2])
    try:
        yield
    finally:
        gc.set_threshold(*old)
