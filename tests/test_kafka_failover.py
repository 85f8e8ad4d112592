"""Failover during live traffic on the 3-node Apache Kafka cluster (issue 16, point 3).

One live run (module fixture `live_run`): the faust core worker (`crm run --role core`,
exactly once), the projector and the stand-in ERP (with the core's ERP bridge) work while
a live business simulation feeds `crm.commands` at a steady rate, with a won deal of the
test's own every 100 inputs (the simulated business's first would come ~7,000 inputs in),
so the ERP's sales orders and master data flow through every fault. Faults, each once the
pipeline has carried on after the one before:

1. kill -9 of the broker leading `crm.commands`, which also leads event partitions; it is
   started again, and while it comes back a second core worker and a second projector
   join their groups;
2. kill -9 of the active KRaft controller (every node is controller and broker), which
   leads event partitions but not `crm.commands` (moved back to its preferred leader,
   the broker killed first, if the first fault moved it there): the event topics' leader
   failover without the input's; it is started again, and while it comes back
3. the core worker holding `crm.commands` and the first projector are killed -9: their
   partitions move to the workers that joined mid-stream.

Then nothing is lost (every input on `crm.commands` once, every ERP request answered, each
accepted quote's sales order on `erp.sales-orders` once), the
event topics as a `read_committed` consumer reads them are byte for byte the in-process
fold of `crm.commands` with no event twice, and the projected 25 tables have the digest of
a clean projection of that fold. Each fault's test asserts what the fault did (the
partitions' or the quorum's leader moved, the groups' partitions moved) and that the
pipeline carried on. docs/kafka.md, "Failover".
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from confluent_kafka import ElectionType, TopicPartition
from failover_support import (
    ERP_GROUP,
    Committed,
    Feeder,
    Log,
    Workers,
    group_members,
    read_log,
    settled,
    wait_for,
)
from kafka_support import BROKERS, ApacheKafka, recreate_crm_topics
from support import create_database, drop_database, project, temp_home

from domain.quotes.messages import AcceptQuote
from events.codec import AvroCodec
from events.topics import (
    COMMANDS,
    CORE_GROUP,
    CUSTOMER_MASTERS,
    ERP_REPLIES,
    EVENT_PARTITIONS,
    EVENT_TOPICS,
    PROJECTOR_GROUP,
    SALES_ORDERS,
)
from localstack import StackInfo
from localstack.kafka import cluster
from processors.core import CoreProcessor
from producers.partitioner import partition_for
from projectors.db import make_engine, migrate, table_digest

# the live run is the first test's setup: ~3 min on a quiet machine, 7-10 min at load 40
pytestmark = [pytest.mark.kafka, pytest.mark.integration, pytest.mark.timeout(1200)]

RATE = 10.0  # inputs a second, steady: what the core folds with ease even at load 40
PRELOAD = 1000  # inputs fed at once first: the go-live (accounts, reps, open deals)
DEAL_EVERY = 100  # a won deal of the test's own after every 100 inputs: ERP requests
RECOVERY = 120.0  # s a fault may take until the pipeline carries on (9 s of it: fencing)
EVENT_LOG = [(t, p) for t in EVENT_TOPICS for p in range(EVENT_PARTITIONS)]


@dataclass
class Fault:
    """One injected fault and what was seen."""

    name: str
    victim: str
    inputs_before: int  # inputs fed when it struck
    recovered_s: float = 0.0  # kill -> the core committed the first input fed after it
    back_s: float = 0.0  # kill -> the node serves again with full ISRs (broker faults)
    seen: dict[str, Any] = field(default_factory=dict)


@dataclass
class LiveRun:
    faults: dict[str, Fault]
    fed: list[str]  # the inputs' event ids, in the order fed
    feed_errors: list[str]
    log: Log  # crm.commands, erp.*, event topics: read_committed at the end
    projected_digest: str
    clean_digest: str
    seconds: float
    worker_warnings: list[str]  # the workers' log lines about refused transaction states


def all_isrs_full(kafka: ApacheKafka) -> bool:
    """Every partition of every topic (the internal ones too: consumer offsets and
    transactions) has all brokers in its ISR, so another node may fail."""
    topics = kafka.admin().list_topics(timeout=10).topics
    return all(len(p.isrs) == BROKERS and p.error is None
               for t in topics.values() for p in t.partitions.values())


def members(admin: Callable[[], Any], group: str) -> dict[str, list[tuple[str, int]]]:
    """Each member's partitions, by pid for core workers (their client ids end in it),
    else by position."""
    return {client.rsplit("-", 1)[-1] if client.startswith(CORE_GROUP) else str(i):
            sorted(tps) for i, (client, tps) in enumerate(group_members(admin, group))}


class Run:
    """The live run's moving parts and its fault drills."""

    def __init__(self, kafka: ApacheKafka, workers: Workers) -> None:
        self.kafka, self.workers = kafka, workers
        self.feeder = Feeder(kafka.bootstrap, RATE, PRELOAD, deal_every=DEAL_EVERY)
        self.core = Committed(kafka.bootstrap, CORE_GROUP)
        self.admin = kafka.admin()
        self.faults: dict[str, Fault] = {}
        self._return: threading.Thread | None = None

    def carried_on(self, since: int) -> bool:
        """The core has committed input `since` (the first fed after a fault)."""
        offset = self.feeder.offset_of(since)
        return offset is not None and self.core() > offset

    def note(self, what: str) -> None:
        """A line of progress (shown with the test's output when it fails)."""
        print(f"{time.strftime('%H:%M:%S')} {what}: {self.feeder.count} inputs fed, the "
              f"core committed offset {self.core()}", flush=True)

    def steady(self) -> None:
        """Wait until the core has caught up with the feed (so that a fault's recovery
        time is the fault's, not a backlog's; the first time, the preload's)."""
        now = self.feeder.count
        wait_for(lambda: self.carried_on(now), 5 * RECOVERY, "the core to catch up",
                 self.workers.dead)

    def strike(self, name: str, victim: str, **seen: Any) -> tuple[Fault, float]:
        self.note(f"{name}: killing {victim}")
        fault = Fault(name, victim, self.feeder.count, seen=dict(seen))
        self.faults[name] = fault
        return fault, time.monotonic()

    def wait_recovered(self, fault: Fault, started: float) -> None:
        try:
            wait_for(lambda: self.carried_on(fault.inputs_before), RECOVERY,
                     f"the pipeline after {fault.name}", self.workers.dead)
        except AssertionError as stuck:
            raise AssertionError(
                f"{stuck}: input {fault.inputs_before} is at offset "
                f"{self.feeder.offset_of(fault.inputs_before)} ({self.feeder.count} fed, "
                f"{len(self.feeder.offsets)} delivered), the core committed "
                f"{self.core()}; logs in {self.workers.home}") from None
        fault.recovered_s = round(time.monotonic() - started, 1)
        self.note(f"{fault.name}: carried on after {fault.recovered_s} s")

    def led_by(self, broker: int) -> list[tuple[str, int]]:
        """The partitions of crm.commands and of the event topics `broker` leads."""
        return sorted((t, p) for t in (COMMANDS, *EVENT_TOPICS)
                      for p, m in self.kafka.partitions(t).items() if m.leader == broker)

    def kill_broker(self, name: str, victim: int, **seen: Any) -> tuple[Fault, float]:
        seen["led"] = self.led_by(victim)
        seen["was_controller"] = self.controller() == victim
        fault, started = self.strike(name, f"broker {victim}", **seen)
        cluster.stop_broker(self.kafka.settings, victim)
        return fault, started

    def new_leaders(self, fault: Fault) -> None:
        """Who leads the killed broker's partitions now (once the pipeline carried on)."""
        fault.seen["new_leaders"] = [int(self.kafka.partitions(t)[p].leader)
                                     for t, p in fault.seen["led"]]

    def bring_back(self, fault: Fault, victim: int, started: float) -> None:
        """Start the node again in the background (its JVM takes a while)."""

        def back() -> None:
            cluster.start_broker(self.kafka.settings, victim)
            wait_for(lambda: all_isrs_full(self.kafka), RECOVERY,
                     f"broker {victim}'s ISRs")
            fault.back_s = round(time.monotonic() - started, 1)
            self.note(f"{fault.name}: broker {victim} back after {fault.back_s} s")

        self._return = threading.Thread(target=back, daemon=True)
        self._return.start()

    def wait_back(self) -> None:
        assert self._return is not None
        self._return.join(2 * RECOVERY)
        assert not self._return.is_alive(), "the killed broker came back"

    def settle_brokers(self) -> None:
        """After a failed drill: no broker left stopped (once a restart under way ends)."""
        if self._return is not None:
            self._return.join(2 * RECOVERY)
        for node in cluster.load(self.kafka.settings).nodes:  # type: ignore[union-attr]
            if not node.alive():
                cluster.start_broker(self.kafka.settings, node.id)

    def controller(self) -> int | None:
        """The active KRaft controller (None during an election)."""
        found = cluster.load(self.kafka.settings)
        assert found is not None
        return found.active_controller()

    def leader_fault(self) -> None:
        """The crm.commands leader (also an event partition's) killed, and a second core
        worker and projector joining while it comes back."""
        self.steady()
        victim = int(self.kafka.partitions(COMMANDS)[0].leader)
        fault, started = self.kill_broker("leader", victim)
        self.wait_recovered(fault, started)
        self.new_leaders(fault)
        self.bring_back(fault, victim, started)
        self.workers.start("core", "core-b")
        self.workers.start("projector", "projector-b")
        self.two_members_each()
        self.wait_back()

    def two_members_each(self) -> None:
        """Both groups hold exactly their two workers, each with partitions (a group whose
        coordinator just moved lists its members' old ids too, empty, for a while)."""
        for group in (CORE_GROUP, PROJECTOR_GROUP):
            wait_for(lambda g=group: [bool(tps) for _, tps in group_members(self.kafka.admin, g)]
                     == [True, True], RECOVERY,
                     f"two members in {group}, each with partitions", self.workers.dead)

    def controller_fault(self) -> None:
        """The active controller killed, a leader of event partitions but not of
        crm.commands (the leader fault killed that one); while it comes back, the core
        worker holding crm.commands and the first projector are killed."""
        self.steady()
        victim = self.controller()
        assert victim is not None, "the metadata quorum has a leader"
        self.commands_led_elsewhere(victim)
        fault, started = self.kill_broker("controller", victim)
        wait_for(lambda: self.controller() not in (None, victim), RECOVERY,
                 "a new active controller")
        fault.seen["elected_s"] = round(time.monotonic() - started, 1)
        fault.seen["new_controller"] = self.controller()
        self.wait_recovered(fault, started)
        self.new_leaders(fault)
        self.bring_back(fault, victim, started)
        self.rebalance_fault()
        self.wait_back()

    def commands_led_elsewhere(self, broker: int) -> None:
        """crm.commands led by another broker than `broker`: the leader fault may have
        moved it there; a preferred-replica election gives it back to its first replica,
        the broker the leader fault killed (back and in the ISR by now)."""
        part = self.kafka.partitions(COMMANDS)[0]
        if part.leader != broker:
            return
        assert part.replicas[0] != broker, \
            f"crm.commands' preferred leader {broker} became the active controller"
        self.admin.elect_leaders(ElectionType.PREFERRED,
                                 [TopicPartition(COMMANDS, 0)]).result(30)
        wait_for(lambda: self.kafka.partitions(COMMANDS)[0].leader == part.replicas[0],
                 RECOVERY, "crm.commands' preferred leader")

    def rebalance_fault(self) -> None:
        self.steady()
        self.two_members_each()
        cores = members(self.kafka.admin, CORE_GROUP)
        holder = next(pid for pid, tps in cores.items() if (COMMANDS, 0) in tps)
        victim = next(name for name, proc in self.workers.running.items()
                      if name.startswith("core") and str(proc.pid) == holder)
        fault, started = self.strike(
            "rebalance", f"{victim} (holding {COMMANDS}) and projector-a",
            core_before=cores, killed_pid=holder,
            projectors_before=list(members(self.kafka.admin, PROJECTOR_GROUP).values()))
        self.workers.kill(victim)
        self.workers.kill("projector-a")
        self.wait_recovered(fault, started)
        for group in (CORE_GROUP, PROJECTOR_GROUP):
            wait_for(lambda g=group: len(group_members(self.kafka.admin, g)) == 1, RECOVERY,
                     f"the killed worker to leave {group}")
        fault.seen["core_after"] = members(self.kafka.admin, CORE_GROUP)
        fault.seen["projectors_after"] = list(members(self.kafka.admin, PROJECTOR_GROUP).values())


@pytest.fixture(scope="module")
def live_run(apache_kafka: ApacheKafka, stack: StackInfo) -> Iterator[LiveRun]:
    """The live run with its four faults (module docstring), then everything read back."""
    recreate_crm_topics(apache_kafka)
    live_url = create_database(stack.database_url)
    clean_url = create_database(stack.database_url)
    began = time.monotonic()
    try:
        migrate(live_url)
        migrate(clean_url)
        with temp_home("crm-failover-") as home:
            workers = Workers(home, apache_kafka.bootstrap, live_url)
            run = Run(apache_kafka, workers)
            erp = Committed(apache_kafka.bootstrap, ERP_GROUP)
            try:
                run.feeder.start()
                for role, name in (("core", "core-a"), ("projector", "projector-a"),
                                   ("erp", "erp")):
                    workers.start(role, name)
                wait_for(lambda: run.carried_on(int(RATE)), RECOVERY, "the pipeline's start",
                         workers.dead)
                run.leader_fault()
                run.controller_fault()
                run.feeder.stop()
                run.feeder.join(RECOVERY)
                wait_for(lambda: settled(apache_kafka.bootstrap, run.core, erp), RECOVERY,
                         "every input folded and every ERP request answered", workers.dead)
                log = read_log(apache_kafka.bootstrap, [
                    (COMMANDS, 0), (ERP_REPLIES, 0), *EVENT_LOG])
                clean = clean_projection(clean_url, log)
                live = make_engine(live_url)
                try:
                    wait_for(lambda: table_digest(live) == clean, RECOVERY,
                             "the projector to project the clean run's tables", workers.dead)
                    projected = table_digest(live)
                finally:
                    live.dispose()
            finally:
                workers.stop_all()
                run.core.close()
                erp.close()
                run.settle_brokers()  # a failed drill must not leave the cluster short
            warnings = [line for path in sorted(home.glob("*.log"))
                        for line in path.read_text(errors="replace").splitlines()
                        if "Invalid state transition" in line]
        yield LiveRun(run.faults, list(run.feeder.sent), list(run.feeder.errors), log,
                      projected, clean, round(time.monotonic() - began, 1), warnings)
    finally:
        drop_database(live_url)
        drop_database(clean_url)


def folded(log: Log) -> dict[tuple[str, int], list[bytes]]:
    """The in-process fold of `crm.commands` as committed: each event partition's bytes."""
    core = CoreProcessor()
    expected: dict[tuple[str, int], list[bytes]] = defaultdict(list)
    for _, _, value in log[(COMMANDS, 0)]:
        result = core.process_bytes(value)
        assert isinstance(result, list), f"an input on {COMMANDS} does not decode: {result}"
        for out in result:
            expected[(out.topic, partition_for(out.topic, out.key))].append(out.value)
    return expected


def clean_projection(url: str, log: Log) -> str:
    """The 25 tables' digest of the fold's events projected straight into `url`."""
    codec = AvroCodec()
    engine = make_engine(url)
    try:
        project(engine, [codec.decode(v) for values in folded(log).values() for v in values])
        return table_digest(engine)
    finally:
        engine.dispose()


def event_ids(log: Log, topics: tuple[str, ...]) -> Counter[str]:
    codec = AvroCodec()
    return Counter(codec.decode(value).event_id for (topic, _), records in log.items()
                   if topic in topics for _, _, value in records)


def test_every_input_fed_through_the_faults_is_on_crm_commands_once_and_every_erp_request_answered(
    live_run: LiveRun,
) -> None:
    on_commands = event_ids(live_run.log, (COMMANDS,))
    requests = event_ids(live_run.log, (SALES_ORDERS, CUSTOMER_MASTERS))
    codec = AvroCodec()
    answered = {codec.decode(v).causation_id for _, _, v in live_run.log[(ERP_REPLIES, 0)]}
    print(f"\n{len(live_run.fed)} inputs fed in {live_run.seconds} s, {len(requests)} ERP "
          f"requests; faults: " + "; ".join(
              f"{f.name} ({f.victim}): pipeline on after {f.recovered_s} s, node back "
              f"after {f.back_s} s, {f.seen}" for f in live_run.faults.values()))

    assert live_run.feed_errors == []
    assert len(live_run.fed) > PRELOAD + RATE * 30
    assert {e: on_commands[e] for e in live_run.fed if on_commands[e] != 1} == {}, \
        "each input fed is on crm.commands exactly once"
    assert set(requests) <= answered, "every ERP request was answered"
    replies = event_ids(live_run.log, (ERP_REPLIES,))
    assert all(on_commands[e] >= 1 for e in replies), "every ERP reply was bridged"


def test_each_won_deal_fed_through_the_faults_requests_its_sales_order_once_read_committed(
    live_run: LiveRun,
) -> None:
    """The test's own deals (`accepted_deal`): odd ones are for ERP customers (the
    acceptance requests the order), even ones are not (the order follows the ERP's answer
    to the master-data request, bridged into crm.commands through the faults; the stand-in
    ERP refuses some master data, as a real one does, and those deals get no order)."""
    codec = AvroCodec()
    accepted = {c.aggregate_id: int(c.event_id.split("-")[2])  # quote -> deal number
                for c in (codec.decode(v) for _, _, v in live_run.log[(COMMANDS, 0)])
                if isinstance(c, AcceptQuote) and c.event_id.startswith("failover-deal-")}
    orders = [codec.decode(v) for p in range(EVENT_PARTITIONS)
              for _, _, v in live_run.log[(SALES_ORDERS, p)]]
    per_quote = Counter(o.quotation_id for o in orders)

    assert len(accepted) >= PRELOAD // DEAL_EVERY
    assert per_quote.most_common(1)[0][1] == 1, "a read_committed reader sees each order once"
    assert {q for q, deal in accepted.items() if deal % 2} <= set(per_quote), \
        "each ERP customer's accepted quote requested its order"
    assert {q for q, deal in accepted.items() if not deal % 2} & set(per_quote), \
        "orders followed the ERP's master data answers"


def test_the_event_topics_hold_the_fold_of_crm_commands_and_no_event_twice(
    live_run: LiveRun,
) -> None:
    expected = folded(live_run.log)
    actual = {tp: [v for _, _, v in live_run.log[tp]] for tp in EVENT_LOG if live_run.log[tp]}

    assert event_ids(live_run.log, EVENT_TOPICS).most_common(1)[0][1] == 1, \
        "a read_committed consumer sees each event once"
    assert set(actual) == set(expected)
    for tp in expected:
        assert actual[tp] == expected[tp], f"{tp} differs from the in-process fold"


def test_the_projected_tables_equal_a_clean_projection_of_the_fold(live_run: LiveRun) -> None:
    assert live_run.projected_digest == live_run.clean_digest
    assert len(live_run.clean_digest) == 64


def test_a_killed_leader_of_crm_commands_and_of_an_event_partition_moves_them_and_all_goes_on(
    live_run: LiveRun,
) -> None:
    fault = live_run.faults["leader"]
    victim = int(fault.victim.split()[-1])

    assert (COMMANDS, 0) in fault.seen["led"]
    assert any(t in EVENT_TOPICS for t, _ in fault.seen["led"]), "it led an event partition"
    assert victim not in fault.seen["new_leaders"]
    assert 0 < fault.recovered_s < fault.back_s


def test_a_killed_active_controller_leading_event_partitions_but_not_crm_commands_is_replaced(
    live_run: LiveRun,
) -> None:
    fault = live_run.faults["controller"]
    victim = int(fault.victim.split()[-1])

    assert fault.seen["was_controller"]
    assert fault.seen["new_controller"] != victim
    assert (COMMANDS, 0) not in fault.seen["led"], "crm.commands was led elsewhere"
    assert any(t in EVENT_TOPICS for t, _ in fault.seen["led"]), "it led an event partition"
    assert victim not in fault.seen["new_leaders"]
    assert 0 < fault.seen["elected_s"] <= fault.recovered_s < fault.back_s


def test_a_killed_core_worker_and_projector_hand_their_partitions_to_the_ones_that_joined(
    live_run: LiveRun,
) -> None:
    fault = live_run.faults["rebalance"]

    assert len(fault.seen["core_before"]) == 2
    assert [len(tps) > 0 for tps in fault.seen["projectors_before"]] == [True, True]
    (survivor, partitions), = fault.seen["core_after"].items()
    assert survivor != fault.seen["killed_pid"] and (COMMANDS, 0) in partitions
    assert [len(tps) for tps in fault.seen["projectors_after"]] == [len(EVENT_LOG)]
    assert fault.recovered_s > 0
    # faust begins every kept partition's transaction again after a rebalance (aiokafka
    # refused it and faust logged each refusal): OutputTransactions begins only new ones
    assert live_run.worker_warnings == []
