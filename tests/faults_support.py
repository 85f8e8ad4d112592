"""Helpers for the fault-injection tests (tests/test_faults_*.py).

Every fault test replays one generated history (a backfill log: the simulation's inputs
and the events the core derived from them, in produce order) through the component it
hurts, and ends by comparing the 25 read tables' digest with a clean projection of the
same events (`reference_digest`). The history is generated once per test session.

The simulation is the full business model (`simulators.business`, 14 days at scale 0.2);
without it the fault tests fail rather than fall back to the lead-only smoke simulation.
CRM_FAULT_SIMULATION / CRM_FAULT_DAYS / CRM_FAULT_SCALE override it, and an override is
announced: in pytest's header (conftest.py), as a warning and on stdout. Kill points are
random: CRM_FAULT_SEED replays a run's choices (each test prints the seed it used).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from support import create_database, drop_database

import localstack
from backfill.generate import BackfillPlan, generate, run_dir
from backfill.run import simulation_factory
from backfill.runlog import read_log
from crm.config import KafkaSecurity, Settings
from events.codec import AvroCodec
from events.topics import COMMANDS, CORE_GROUP, EVENT_TOPICS, TOPICS
from kafka_client.offsets import log_ends, partition_ends
from localstack import postgres
from localstack.children import wait_dead
from producers.kafka import MessageProducer
from producers.partitioner import partition_for
from projectors.commit import PROJECTION_LOCK
from projectors.db import make_engine, migrate, table_digest
from projectors.writer import apply_events

SEED = 11
END = date(2026, 3, 31)
EVENT_PARTITIONS = [(s.name, p) for s in TOPICS if s.name in EVENT_TOPICS
                    for p in range(s.partitions)]
ALL_PARTITIONS = [(s.name, p) for s in TOPICS for p in range(s.partitions)]

_ROOT = Path(tempfile.mkdtemp(prefix="crm-faults-"))
atexit.register(shutil.rmtree, _ROOT, True)


# -- the history ---------------------------------------------------------------------------


DEFAULT_SIMULATION, DEFAULT_DAYS, DEFAULT_SCALE = "business", 14, 0.2
_OVERRIDES = ("CRM_FAULT_SIMULATION", "CRM_FAULT_DAYS", "CRM_FAULT_SCALE")


def simulation_choice() -> tuple[str, int, float]:
    """(simulation, days, scale) for the fault tests.

    The business simulation or nothing: a missing `simulators.business` is an error, not a
    quiet switch to the lead-only smoke simulation (which exercises a tenth of the rules).
    """
    if importlib.util.find_spec("simulators.business") is None:
        raise RuntimeError("simulators.business is missing: the fault tests replay the "
                           "business simulation and do not fall back to the lead-only one")
    name = os.environ.get("CRM_FAULT_SIMULATION") or DEFAULT_SIMULATION
    days = int(os.environ.get("CRM_FAULT_DAYS") or DEFAULT_DAYS)
    scale = float(os.environ.get("CRM_FAULT_SCALE") or DEFAULT_SCALE)
    return name, days, scale


def history_description() -> str:
    """What the fault tests replay, saying which environment variables changed it."""
    name, days, scale = simulation_choice()
    overridden = [f"{v}={os.environ[v]}" for v in _OVERRIDES if os.environ.get(v)]
    note = f" (overridden by {', '.join(overridden)}; default: {DEFAULT_SIMULATION}, " \
           f"{DEFAULT_DAYS} days, scale {DEFAULT_SCALE:g})" if overridden else ""
    return f"{name} simulation, {days} days at scale {scale:g}, seed {SEED}{note}"


@dataclass(frozen=True)
class Record:
    """One record of the log: where it is produced and its bytes."""

    topic: str
    key: str
    value: bytes

    @property
    def partition(self) -> int:
        return partition_for(self.topic, self.key)


@dataclass(frozen=True)
class History:
    """A generated backfill run: plan, directory (log.avro, checkpoint) and records."""

    simulation: str
    plan: BackfillPlan
    directory: Path
    records: tuple[Record, ...]

    @property
    def commands(self) -> list[Record]:
        return [r for r in self.records if r.topic == COMMANDS]

    @property
    def events(self) -> list[Record]:
        return [r for r in self.records if r.topic != COMMANDS]

    def backfill_args(self) -> list[str]:
        """`crm backfill` options that generate exactly this history."""
        return ["backfill", "--simulation", self.simulation, "--days", str(self.plan.days),
                "--seed", str(self.plan.seed), "--scale", f"{self.plan.scale:g}",
                "--end-date", self.plan.end_date.isoformat()]

    def by_partition(self, records: Iterable[Record] | None = None
                     ) -> dict[tuple[str, int], list[tuple[str, bytes]]]:
        """(key, value) per (topic, partition) in produce order."""
        out: dict[tuple[str, int], list[tuple[str, bytes]]] = {}
        for r in self.records if records is None else records:
            out.setdefault((r.topic, r.partition), []).append((r.key, r.value))
        return out

    def copy_run_into(self, home: Path) -> Path:
        """Put the generated run under `home` (a backfill there skips generation)."""
        target = run_dir(home, self.plan)
        shutil.copytree(self.directory, target, dirs_exist_ok=True)
        return target


def continuation(h: History, cycles: int) -> list[list[Record]]:
    """What `crm simulate` would submit after the history, per cycle: each input followed
    by the events the core derives from it (the state comes from the run's checkpoint)."""
    from datetime import timedelta

    from processors.core import CoreProcessor
    from simulators.checkpoint import load_checkpoint

    saved = load_checkpoint(h.directory / "checkpoint.pkl")
    sim, clock, core = saved["simulation"], saved["clock"], CoreProcessor()
    core.state = saved["state"]
    out: list[list[Record]] = []
    for _ in range(cycles):
        clock += timedelta(minutes=30)
        batch: list[Record] = []

        def submit(message, batch=batch):  # type: ignore[no-untyped-def]
            batch.append(Record(COMMANDS, message.aggregate_id, core.codec.encode(message)))
            events = core.process(message)
            batch.extend(Record(o.topic, o.key, o.value) for o in map(core.encode, events))
            return events

        sim.cycle(clock, submit)
        out.append(batch)
    return out


@functools.cache
def history() -> History:
    """The session's history (generated on first use, ~seconds)."""
    name, days, scale = simulation_choice()
    description = history_description()
    print(f"fault history: {description}")
    if any(os.environ.get(v) for v in _OVERRIDES):
        warnings.warn(f"fault tests run on a non-default history: {description}",
                      stacklevel=2)
    plan = BackfillPlan(days, SEED, END, scale)
    directory = run_dir(_ROOT, plan)
    generate(plan, directory, simulation_factory(name))
    records = tuple(Record(r["topic"], r["key"], r["value"]) for r in read_log(directory))
    return History(name, plan, directory, records)


def project_records(engine: sa.Engine, records: Sequence[Record], batch: int = 5000) -> None:
    """Decode and project records straight into the tables (no broker, no offsets)."""
    codec = AvroCodec()
    for start in range(0, len(records), batch):
        events = [codec.decode(r.value) for r in records[start:start + batch]]
        raw = engine.raw_connection()
        try:
            apply_events(raw.driver_connection, events)
            raw.commit()
        finally:
            raw.close()


@functools.cache
def reference_digest(server_url: str) -> str:
    """The digest of one clean projection of the history's events (cached per server)."""
    with scratch_database(server_url, "ref") as url:
        engine = make_engine(url)
        try:
            project_records(engine, history().events)
            return table_digest(engine)
        finally:
            engine.dispose()


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str = "f") -> Iterator[str]:
    """A migrated, empty database on `server_url`'s server, dropped afterwards."""
    url = create_database(server_url, prefix)
    try:
        migrate(url)
        yield url
    finally:
        drop_database(url)


def replay_digest(server_url: str, bootstrap: str) -> str:
    """The digest of the broker's log projected from scratch by a real projector."""
    from projectors.runner import Projector  # (the projector's own imports stay lazy here)

    with scratch_database(server_url) as url:
        projector = Projector(make_engine(url), bootstrap, group="replay")
        projector.catch_up(timeout=120)
        projector.close()
        return digest_of(url)


def clean_digest(server_url: str, records: Sequence[Record]) -> str:
    """The digest of `records` projected straight into a scratch database."""
    with scratch_database(server_url, "clean") as url:
        engine = make_engine(url)
        try:
            project_records(engine, records)
            return table_digest(engine)
        finally:
            engine.dispose()


def digest_of(url: str) -> str:
    engine = make_engine(url)
    try:
        return table_digest(engine)
    finally:
        engine.dispose()


# -- Kafka ---------------------------------------------------------------------------------


def produce(bootstrap: str, records: Iterable[Record]) -> int:
    """Produce records in the given order, each to its key's partition; returns how many."""
    count = 0
    with MessageProducer(bootstrap) as producer:
        for r in records:
            producer.send_raw(r.topic, r.key, r.value, partition=r.partition)
            count += 1
    return count


def read_partitions(bootstrap: str, partitions: Sequence[tuple[str, int]] = ALL_PARTITIONS
                    ) -> dict[tuple[str, int], list[tuple[str, bytes]]]:
    """Every record (key, value) of the partitions, in offset order, as a `read_committed`
    reader sees them. It reads until the consumer's position reaches each end, not a count
    of records: on Apache Kafka transaction markers take offsets too."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "faults-reader",
                         "enable.auto.commit": False, "isolation.level": "read_committed"})
    try:
        ends = partition_ends(consumer, partitions)
        out: dict[tuple[str, int], list[tuple[str, bytes]]] = {tp: [] for tp in partitions}
        pending = {tp: end for tp, end in ends.items() if end > 0}
        if pending:
            consumer.assign([TopicPartition(t, p, 0) for t, p in pending])
        deadline = time.monotonic() + 60
        while pending:
            assert time.monotonic() < deadline, "could not read the topics back"
            for msg in consumer.consume(10_000, timeout=0.5):
                tp = (msg.topic(), msg.partition())
                if msg.error() is None and msg.offset() < ends[tp]:
                    out[tp].append(((msg.key() or b"").decode(), msg.value() or b""))
            for pos in consumer.position([TopicPartition(t, p) for t, p in pending]):
                if pos.offset >= pending[(pos.topic, pos.partition)]:
                    del pending[(pos.topic, pos.partition)]
        return {tp: recs for tp, recs in out.items() if recs}
    finally:
        consumer.close()


def event_ends(bootstrap: str) -> dict[tuple[str, int], int]:
    return log_ends(bootstrap, EVENT_PARTITIONS)


# What an offset fetch may answer while the group's coordinator moves or loads (Apache
# Kafka under load): asking again succeeds.
COORDINATOR_MOVING = frozenset({KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
                                KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError._TIMED_OUT})


def core_committed(bootstrap: str, timeout: float = 60.0) -> int:
    """The rules worker group's committed offset on crm.commands (-1001: none), asked
    again while the group's coordinator moves (for at most `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": CORE_GROUP})
        try:
            return consumer.committed([TopicPartition(COMMANDS, 0)], timeout=10)[0].offset
        except KafkaException as exc:
            if exc.args[0].code() not in COORDINATOR_MOVING or time.monotonic() > deadline:
                raise
        finally:
            consumer.close()
        time.sleep(0.5)


def stored_offsets(url: str, group: str = "crm-projector") -> dict[tuple[str, int], int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {(t, p): o for t, p, o in conn.execute(sa.text(
                "SELECT topic, partition, next_offset FROM crm_meta.projector_offsets "
                "WHERE consumer_group = :g"), {"g": group})}
    except sa.exc.DBAPIError:
        return {}
    finally:
        engine.dispose()


@contextlib.contextmanager
def offsets_locked(url: str) -> Iterator[Callable[[], bool]]:
    """Hold an EXCLUSIVE lock on the projector's offsets table (reads still pass).

    A projector's next batch then writes its rows and waits, uncommitted, at saving its
    offsets: a kill or a PostgreSQL stop meanwhile lands mid-batch, for certain. Yields
    `waiting()`: whether some transaction waits for the lock (the batch is in flight).
    """
    engine = make_engine(url)
    conn = engine.connect()
    conn.execute(sa.text("LOCK TABLE crm_meta.projector_offsets IN EXCLUSIVE MODE"))

    def waiting() -> bool:
        with engine.connect() as probe:
            return bool(probe.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
                "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND relation = 'crm_meta.projector_offsets'::regclass")).scalar())

    try:
        yield waiting
    finally:
        with contextlib.suppress(sa.exc.DBAPIError):  # gone with a stopped server
            conn.rollback()
        with contextlib.suppress(sa.exc.DBAPIError):
            conn.close()
        engine.dispose()


def projected_fraction(url: str, ends: dict[tuple[str, int], int]) -> float:
    stored = stored_offsets(url)
    total = sum(ends.values())
    return sum(min(stored.get(tp, 0), end) for tp, end in ends.items()) / total if total else 1


def projection_under_way(url: str, ends: dict[tuple[str, int], int]) -> bool:
    """Some of the log is projected, or a transaction holding the projection lock is
    open: a fresh backfill folds its whole log in one such transaction (nothing is
    committed before its end), a batch holds the lock while it writes."""
    if projected_fraction(url, ends) > 0:
        return True
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND (classid::bigint << 32) + objid::bigint = :key"),
                {"key": PROJECTION_LOCK}).scalar())
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


# -- processes -----------------------------------------------------------------------------


def crm_env(home: Path, bootstrap: str | None = None, database_url: str | None = None,
            **extra: str) -> dict[str, str]:
    """The environment of a `crm` subprocess: CRM_HOME and the servers it must use."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_HOME=str(home), PYTHONUNBUFFERED="1", **extra)
    if bootstrap:
        env["CRM_KAFKA_BOOTSTRAP"] = bootstrap
    if database_url:
        env["CRM_DATABASE_URL"] = database_url
    return env


class CrmProcess:
    """`crm ARGS` as a subprocess with its output in a log file."""

    def __init__(self, args: Sequence[str], env: dict[str, str], log: Path) -> None:
        self.args = list(args)
        self.log = log
        self._start = log.stat().st_size if log.exists() else 0  # the log may be shared
        with log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "crm.cli", *args], env=env,
                                         stdout=out, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill9(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or committed."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM and wait (SIGKILL after `timeout`); returns the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            return self.proc.returncode

    def wait(self, timeout: float) -> int:
        return self.proc.wait(timeout)

    def output(self) -> str:
        """What this process wrote (stdout and stderr)."""
        with self.log.open("rb") as fh:
            fh.seek(self._start)
            return fh.read().decode(errors="replace")


def wait_for(predicate: Callable[[], bool], timeout: float, what: str,
             proc: CrmProcess | None = None, interval: float = 0.05) -> None:
    """Poll until `predicate()`; fail with `what` (and the process log) on timeout or exit."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and not proc.alive():
            raise AssertionError(f"{what}: `crm {' '.join(proc.args)}` exited with "
                                 f"{proc.proc.returncode}:\n{proc.output()[-3000:]}")
        if time.monotonic() > deadline:
            tail = f"\n{proc.output()[-3000:]}" if proc is not None else ""
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}{tail}")
        time.sleep(interval)


def fault_rng(name: str) -> random.Random:
    """A seeded RNG for kill points; the seed is printed (replay with CRM_FAULT_SEED)."""
    seed = int(os.environ.get("CRM_FAULT_SEED") or random.SystemRandom().randrange(1 << 30))
    print(f"{name}: CRM_FAULT_SEED={seed}")
    return random.Random(seed)


# -- servers of a test's own ---------------------------------------------------------------


def stack_settings(home: Path, database_url: str | None = None,
                   kafka_bootstrap: str | None = None) -> Settings:
    return Settings(home, database_url, kafka_bootstrap, None, KafkaSecurity())


@contextlib.contextmanager
def own_broker(home: Path) -> Iterator[Settings]:
    """A Tansu broker of the test's own (`localstack`), killed afterwards.

    SIGKILL, not `crm down`: the broker keeps nothing anyway, and a SIGTERMed Tansu waits
    ~5 s for its clients to hang up.
    """
    from events.admin import ensure_topics

    settings = stack_settings(home, database_url="postgresql://unused@/unused")
    info = localstack.up(settings)
    try:
        ensure_topics(info.kafka_bootstrap)
        yield settings
    finally:
        with contextlib.suppress(AssertionError, OSError):
            kill_broker(settings)
        localstack.down(settings)


@pytest.fixture(name="own_kafka")
def own_kafka_fixture() -> Iterator[str]:
    """Like conftest's `fresh_kafka` (a broker of this test's own, topics created), but
    killed at the end instead of waiting for Tansu's graceful stop."""
    with tempfile.TemporaryDirectory(prefix="crm-kafka-") as home, \
            own_broker(Path(home)) as settings:
        yield broker_of(settings)


def broker_of(settings: Settings) -> str:
    info = localstack.status(settings)
    assert info is not None, "the test's broker is not running"
    return info.kafka_bootstrap


def kill_broker(settings: Settings) -> None:
    """SIGKILL the test's broker, leaving its state file (a restart reuses the port)."""
    info = localstack.status(settings)
    assert info is not None and info.broker_pid
    os.kill(info.broker_pid, signal.SIGKILL)
    assert wait_dead(info.broker_pid, "tansu", None, 10)


def start_broker(settings: Settings) -> str:
    """Start the broker again (same port when free) with the topic map; its bootstrap."""
    from events.admin import ensure_topics

    info = localstack.up(settings)
    ensure_topics(info.kafka_bootstrap)
    return info.kafka_bootstrap


@contextlib.contextmanager
def own_postgres(home: Path, kafka_bootstrap: str) -> Iterator[tuple[Settings, str]]:
    """An embedded PostgreSQL of the test's own (never the session's), migrated."""
    settings = stack_settings(home, kafka_bootstrap=kafka_bootstrap)
    try:
        info = localstack.up(settings)
        migrate(info.database_url)
        yield settings, info.database_url
    finally:
        localstack.down(settings)


def stop_postgres(settings: Settings) -> None:
    postgres.stop_postgres(postgres.data_dir(settings))


def start_postgres(settings: Settings) -> str:
    return localstack.up(settings).database_url
