"""Stage benchmarks: each part of the pipeline alone, on a sample of simulated history.

- codec: Avro encode and decode (Confluent wire format, schema resolution, contract
  validation) per event mix, i.e. per topic, and for the whole mix;
- rules: the in-process runtime (`CoreProcessor.process`) over the sample's inputs, in
  their log order, decoding excluded;
- ingest: the projector's write path (`projectors.writer.apply_events` + offsets, one
  transaction per batch, as the projector runs it) into empty tables, against the COPY
  floor of the rows it wrote, both measured here, on the same server.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from backfill.generate import BackfillPlan, generate
from backfill.run import simulation_factory
from backfill.runlog import read_log
from bench.copy_floor import connect, copy_floor, create_database, drop_database, table_rows
from domain.kernel.messages import Event, Message
from events.codec import AvroCodec
from events.topics import COMMANDS
from processors.core import CoreProcessor


@dataclass
class Sample:
    """A slice of generated history: the log records and their decoded messages."""

    records: list[dict[str, Any]]
    inputs: list[Message]
    events: list[Event]
    seconds: float
    days: int


def make_sample(simulation: str, days: int, seed: int, end_date: date,
                scale: float = 1.0) -> Sample:
    """Generate `days` of history in-process (the backfill's generate phase)."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-sample-") as tmp:
        plan = BackfillPlan(days, seed, end_date, scale)
        t0 = time.perf_counter()
        generate(plan, Path(tmp), simulation_factory(simulation))
        seconds = time.perf_counter() - t0
        records = list(read_log(Path(tmp)))
    codec = AvroCodec()
    inputs = [codec.decode(r["value"]) for r in records if r["topic"] == COMMANDS]
    events = [codec.decode(r["value"]) for r in records if r["topic"] != COMMANDS]
    return Sample(records, inputs, events, seconds, days)  # type: ignore[arg-type]


@contextlib.contextmanager
def _sample_frozen() -> Iterator[None]:
    """Keep the garbage collector off the sample held in memory while a stage is timed:
    the pipeline itself never holds more than a batch, so rescanning the whole sample at
    every full collection would charge the stage a cost it does not have."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _best_rate(fn: Callable[[Any], Any], items: Sequence[Any], repeat: int = 3,
               budget: float = 2.0) -> float:
    """Items per second, the best of `repeat` passes (fewer when a pass is slow)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for item in items:
            fn(item)
        elapsed = time.perf_counter() - t0
        best = min(best, elapsed)
        if elapsed * repeat > budget:
            break
    return len(items) / best if best > 0 else 0.0


@dataclass
class CodecFigures:
    """Encode/decode rates (events/s) for one mix of event types."""

    mix: str
    events: int
    types: int
    mean_bytes: float
    encode_per_s: float
    decode_per_s: float


def codec_stage(sample: Sample, codec: AvroCodec | None = None) -> list[CodecFigures]:
    """Rates for all derived events, per topic (each topic carries one family of event
    types) and for the inputs (`crm.commands`: commands, ERP replies, ticks)."""
    codec = codec or AvroCodec()
    by_topic: dict[str, list[tuple[Message, bytes]]] = collections.defaultdict(list)
    everything: list[tuple[Message, bytes]] = []
    for record in sample.records:
        pair = (codec.decode(record["value"]), record["value"])
        by_topic[record["topic"]].append(pair)
        if record["topic"] != COMMANDS:
            everything.append(pair)
    inputs = by_topic.pop(COMMANDS, [])
    out: list[CodecFigures] = []
    mixes = sorted(by_topic.items(), key=lambda kv: -len(kv[1]))
    mixes.append((f"{COMMANDS} (inputs)", inputs))
    with _sample_frozen():
        return _codec_rates(codec, everything, mixes, out)


def _codec_rates(codec: AvroCodec, everything: list[tuple[Message, bytes]],
                 mixes: list[tuple[str, list[tuple[Message, bytes]]]],
                 out: list[CodecFigures]) -> list[CodecFigures]:
    for name, pairs in [("all events", everything), *mixes]:
        if not pairs:
            continue
        messages = [m for m, _ in pairs]
        blobs = [b for _, b in pairs]
        out.append(CodecFigures(
            mix=name, events=len(pairs), types=len({m.event_type for m in messages}),
            mean_bytes=sum(map(len, blobs)) / len(blobs),
            encode_per_s=_best_rate(codec.encode, messages),
            decode_per_s=_best_rate(codec.decode, blobs)))
    return out


@dataclass
class RulesFigures:
    """The in-process rules runtime over the sample's inputs."""

    inputs: int
    events: int
    seconds: float
    inputs_per_s: float
    events_per_s: float
    by_type: dict[str, float] = field(default_factory=dict)  # share of time per input type


def rules_stage(sample: Sample) -> RulesFigures:
    """Fold the inputs through a fresh core (same order as the log), timing `process`."""
    with _sample_frozen():
        return _rules(sample)


def _rules(sample: Sample) -> RulesFigures:
    core = CoreProcessor()
    events = 0
    spent: collections.Counter[str] = collections.Counter()
    clock = time.perf_counter
    t0 = clock()
    for message in sample.inputs:
        t = clock()
        events += len(core.process(message))
        spent[message.event_type] += clock() - t
    seconds = clock() - t0
    total = sum(spent.values()) or 1.0
    top = {k: round(v / total, 3) for k, v in spent.most_common(6)}
    return RulesFigures(len(sample.inputs), events, seconds, len(sample.inputs) / seconds,
                        events / seconds, top)


# -- the write path, against its COPY floor (bench/copy_floor.py) ------------------------


@dataclass
class IngestFigures:
    """The projector write path into empty tables, against the COPY floor."""

    events: int
    batches: int
    rows: int
    seconds: float
    events_per_s: float
    rows_per_s: float
    copy_floor_s: float
    ratio_to_copy: float


def ingest_stage(server_url: str, events: Sequence[Event], batch_size: int = 5000,
                 progress: Callable[[int], None] | None = None) -> IngestFigures:
    """Project `events` in batches into a new, empty database; compare with COPY."""
    from projectors.db import migrate
    from projectors.offsets import save_offsets
    from projectors.writer import apply_events

    url = create_database(server_url)
    try:
        migrate(url)
        conn = connect(url)
        batches = 0
        try:
            with _sample_frozen():
                t0 = time.perf_counter()
                for start in range(0, len(events), batch_size):
                    batch = events[start:start + batch_size]
                    apply_events(conn, batch)
                    save_offsets(conn, "bench-ingest", {("bench", 0): start + len(batch)})
                    conn.commit()
                    batches += 1
                    if progress is not None:
                        progress(start + len(batch))
                seconds = time.perf_counter() - t0
        finally:
            conn.close()
        rows = table_rows(url)
        floor = copy_floor(url)
    finally:
        drop_database(server_url, url)
    return IngestFigures(len(events), batches, rows, seconds, len(events) / seconds,
                         rows / seconds, floor.seconds, seconds / floor.seconds)
