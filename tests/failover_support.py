"""The live pipeline of tests/test_kafka_failover.py: a simulator feeding `crm.commands` at
a steady rate, the workers as real `crm run` processes, and what the test reads back.

Everything here runs against the session's Apache Kafka cluster (tests/kafka_support.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition

from backfill.run import simulation_factory
from domain.accounts.messages import OpenAccount
from domain.kernel.messages import Message, utc
from domain.kernel.state import CrmState
from domain.opportunities.messages import (
    AddOpportunityProduct,
    ChangeOpportunityStage,
    OpenOpportunity,
)
from domain.quotes.messages import AcceptQuote, DecideQuoteApproval, SendQuote
from events.codec import AvroCodec
from events.topics import (
    COMMANDS,
    CUSTOMER_MASTERS,
    ERP_REPLIES,
    EVENT_PARTITIONS,
    SALES_ORDERS,
)
from processors.core import CoreProcessor
from producers.kafka import producer_config

ERP_GROUP = "erp-simulator"  # operations/erp_worker.py's group
Partition = tuple[str, int]
Log = dict[Partition, list[tuple[int, bytes, bytes]]]  # (offset, key, value) in order


def live_inputs(seed: int, scale: float, deal_every: int = 0) -> Iterator[Message]:
    """The business simulation's inputs, 30 simulated minutes at a time, as `crm simulate`
    submits them (a shadow core tells the simulation what its inputs derived). The ERP's
    answers are not simulated in process: the stand-in ERP worker sends them and the
    core's bridge brings them into `crm.commands`, as in production.

    With `deal_every`, after every that many of the simulation's inputs comes a deal of
    its own that is won (`accepted_deal`): the simulated business accepts its first quote
    only ~7,000 inputs after go-live, so a short run would send the ERP nothing."""
    core = CoreProcessor()
    start = utc(2026, 1, 1)
    sim = simulation_factory("business")(seed, start, scale, erp_in_process=False)
    cycle: list[Message] = []

    def submit(message: Message) -> list[Any]:
        cycle.append(message)
        return core.process(message)

    n = fed = deals = 0
    while True:
        n += 1
        sim.cycle(start + timedelta(minutes=30 * n), submit)
        for message in cycle:
            yield message
            fed += 1
            if deal_every and fed % deal_every == 0:
                deals += 1
                for step in accepted_deal(deals, message.occurred_at, core.state):
                    core.process(step)  # before the next step is built from the state
                    yield step
        cycle.clear()


def accepted_deal(number: int, at: datetime, state: CrmState) -> Iterator[Message]:
    """A new account's deal taken to proposal and its quote approved, sent and accepted,
    at event time `at`; each step built from `state` once the one before is folded.

    Odd numbers: the account is an ERP customer already, the acceptance requests a sales
    order on `erp.sales-orders`; even numbers: it is not, the acceptance requests its
    customer master on `erp.customer-masters` and the order follows the ERP's answer."""
    account, opp = f"FAILOVER-A{number}", f"FAILOVER-O{number}"
    steps = iter(range(1, 100))

    def command(cls: type[Message], aggregate_id: str, **fields: Any) -> Message:
        return cls(event_id=f"failover-deal-{number}-{next(steps)}",
                   aggregate_id=aggregate_id, occurred_at=at, **fields)

    yield command(OpenAccount, account, account_name=f"Failover Forge {number}",
                  customer_id=f"CUST-FAILOVER-{number}" if number % 2 else None)
    yield command(OpenOpportunity, opp, opportunity_name=f"Deal {opp}", account_id=account,
                  amount=Decimal("10000"), close_date=(at + timedelta(days=30)).date())
    yield command(AddOpportunityProduct, opp, product_name="CNC spindle",
                  quantity=Decimal(1), list_price=Decimal("10000"),
                  discount_pct=Decimal(0), material_id="MAT-1", unit_of_measure="EA")
    for stage in ("qualification", "needs_analysis", "proposal"):
        yield command(ChangeOpportunityStage, opp, to_stage=stage)
    quote = state.get("opportunity", opp).quote_id
    for level, _, _ in state.get("quote", quote).approvals:
        yield command(DecideQuoteApproval, quote, level=level, decision="approved")
    yield command(SendQuote, quote)
    yield command(AcceptQuote, quote)


class Feeder(threading.Thread):
    """Publishes the live simulation's inputs (with a won deal every `deal_every`:
    `live_inputs`) to `crm.commands`: the first `preload` at once (the business's
    go-live), then `rate` a second, with the CLI's durable producer settings (idempotent,
    acks=all, no message timeout), until `stop()`; remembers each input's offset
    (delivery reports) and any delivery error."""

    def __init__(self, bootstrap: str, rate: float, preload: int = 0, seed: int = 11,
                 scale: float = 0.3, deal_every: int = 0) -> None:
        super().__init__(daemon=True, name="feeder")
        self.bootstrap, self.rate, self.preload = bootstrap, rate, preload
        self.inputs = live_inputs(seed, scale, deal_every)
        self.codec = AvroCodec()
        self.sent: list[str] = []  # event ids, in the order produced
        self.offsets: dict[int, int] = {}  # input number -> offset on crm.commands
        self.errors: list[str] = []
        self._halt = threading.Event()

    def stop(self) -> None:
        """Stop producing; `join` returns once every input produced is delivered."""
        self._halt.set()

    @property
    def count(self) -> int:
        return len(self.sent)

    def offset_of(self, number: int) -> int | None:
        """Where input `number` (0-based) landed, once the broker acknowledged it."""
        return self.offsets.get(number)

    def run(self) -> None:
        producer = Producer({**producer_config(self.bootstrap), "log_level": 0})
        started = time.monotonic()
        for message in self.inputs:
            due = started + max(0, len(self.sent) - self.preload) / self.rate
            if self._halt.wait(max(0.0, due - time.monotonic())):
                break
            number = len(self.sent)
            producer.produce(COMMANDS, key=message.aggregate_id.encode(),
                             value=self.codec.encode(message), partition=0,
                             on_delivery=partial(self._delivered, number))
            self.sent.append(message.event_id)
            producer.poll(0)
        while producer.flush(1.0):  # message.timeout.ms=0: each input is delivered
            pass

    def _delivered(self, number: int, error: Any, message: Any) -> None:
        if error is not None:
            self.errors.append(f"input {number}: {error}")
        else:
            self.offsets[number] = message.offset()


@dataclass
class Workers:
    """`crm run --role ...` processes on the cluster, each logging to a file of its own."""

    home: Path
    bootstrap: str
    database_url: str
    running: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, role: str, name: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "CRM_HOME": str(self.home), "CRM_KAFKA_BOOTSTRAP": self.bootstrap,
               "CRM_DATABASE_URL": self.database_url}
        env.pop("CRM_PROCESSING_GUARANTEE", None)  # auto: exactly once on Apache Kafka
        with self.log(name).open("ab") as out:
            proc = subprocess.Popen([sys.executable, "-m", "crm.cli", "run", "--role", role],
                                    env=env, stdout=out, stderr=subprocess.STDOUT)
        self.running[name] = proc
        return proc

    def log(self, name: str) -> Path:
        return self.home / f"{name}.log"

    def kill(self, name: str) -> None:
        """kill -9: no commit, no leaving the group."""
        proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)

    def dead(self) -> list[str]:
        """Workers that exited by themselves, with their log's tail."""
        return [f"{name} exited {p.returncode}:\n{self.log(name).read_text()[-3000:]}"
                for name, p in self.running.items() if p.poll() is not None]

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.running.values():
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.running.clear()


class Committed:
    """Committed offsets of a consumer group (one client for the whole run; -1 while the
    group's coordinator moves)."""

    def __init__(self, bootstrap: str, group: str) -> None:
        self._consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                   "enable.auto.commit": False, "log_level": 0})

    def __call__(self, topic: str = COMMANDS, partition: int = 0) -> int:
        try:
            found = self._consumer.committed([TopicPartition(topic, partition)], timeout=5)
            return int(found[0].offset)
        except KafkaException:
            return -1

    def close(self) -> None:
        self._consumer.close()


def read_log(bootstrap: str, partitions: list[Partition], timeout: float = 60.0) -> Log:
    """Every record `read_committed` consumers get from the partitions, with its offset, up
    to each partition's last stable offset now (by position: transaction markers take
    offsets that are never delivered)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "failover-reader",
                         "enable.auto.commit": False, "isolation.level": "read_committed",
                         "log_level": 0})
    found: Log = defaultdict(list)
    try:
        ends = {}
        for topic, p in partitions:
            _, end = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
            if end > 0:
                ends[(topic, p)] = end
        consumer.assign([TopicPartition(t, p, 0) for (t, p) in ends])
        deadline = time.monotonic() + timeout
        while ends:
            assert time.monotonic() < deadline, f"could not read {sorted(ends)} to the end"
            for msg in consumer.consume(10_000, timeout=0.5):
                if msg.error() is None:
                    found[(msg.topic(), msg.partition())].append(
                        (msg.offset(), msg.key() or b"", msg.value() or b""))
            for tp in consumer.position([TopicPartition(t, p) for (t, p) in ends]):
                if tp.offset >= ends[(tp.topic, tp.partition)]:
                    del ends[(tp.topic, tp.partition)]
    finally:
        consumer.close()
    return found


def settled(bootstrap: str, core: Committed, erp: Committed) -> bool:
    """Has every input on `crm.commands` and every ERP reply been folded by the core, and
    every ERP request answered (the groups' commits are past each partition's last record)?

    The commits are read before the log: each step of the loop (the core bridging a reply
    into crm.commands, folding it into a new request, the ERP answering it) writes its
    records before it commits, so whatever a commit read first covers is in the log read
    after; read the other way round, a reply bridged in between was missed."""
    parts = [(COMMANDS, 0), (ERP_REPLIES, 0), *((t, p) for t in (SALES_ORDERS,
                                                                CUSTOMER_MASTERS)
                                                 for p in range(EVENT_PARTITIONS))]
    committed = {(t, p): (core if t in (COMMANDS, ERP_REPLIES) else erp)(t, p)
                 for t, p in parts}
    log = read_log(bootstrap, parts)
    return all(committed[tp] > records[-1][0] for tp, records in log.items() if records)


def group_members(new_admin: Callable[[], Any], group: str, timeout: float = 60.0
                  ) -> list[tuple[str, set[Partition]]]:
    """The group's members now: (client id, its assigned partitions) each.

    Asked again while the group's coordinator moves (its broker was just killed: a
    request to it is never answered, or answered NOT_COORDINATOR), each time with a new
    client from `new_admin` (one run saw a client's descriptions go unanswered for 60 s,
    past the killed broker's return)."""
    deadline = time.monotonic() + timeout
    admin = new_admin()
    while True:
        try:
            found = admin.describe_consumer_groups([group])[group].result(5)
            return [(m.client_id, {(tp.topic, tp.partition)
                                   for tp in m.assignment.topic_partitions})
                    for m in found.members]
        except (KafkaException, TimeoutError, FutureTimeout):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
            admin = new_admin()


def wait_for(predicate: Any, timeout: float, what: str, dead: Any = None) -> float:
    """Poll `predicate` every 0.2 s; fail naming `what` after `timeout` s, or as soon as
    `dead()` names a worker that exited. Returns the seconds waited."""
    started = time.monotonic()
    while not predicate():
        if dead is not None and (gone := dead()):
            raise AssertionError(f"waiting for {what}: {gone}")
        assert time.monotonic() - started < timeout, \
            f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.2)
    return time.monotonic() - started

