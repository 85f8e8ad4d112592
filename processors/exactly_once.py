"""Exactly-once output of the core: derived events commit together with the input offsets.

With `exactly_once` the faust worker runs with faust's `processing_guarantee=
"exactly_once"`: one transactional producer per input partition, and every commit of
input offsets is `send_offsets_to_transaction` + `commit_transaction` on it. A worker
killed mid-work leaves an open transaction; its successor's producer (same
transactional id) fences it and the broker aborts it, so a `read_committed` consumer
sees each derived event once although the inputs are processed again.

faust's own transaction manager does not hold for this app (faust-streaming 0.15): it
names a record's transaction after the *output* topic's partition, which only works
for topics the app also consumes (ours are sinks: faust fails with a KeyError or sends
outside any transaction, faust-streaming issues #177 and #517), and it commits while an
input's outputs are half sent. `OutputTransactions` fixes both: an input's records go
to its own partition's transaction, and no commit happens between an input's first
record and its ack (`in_flight`).

Tansu accepts the transaction requests but neither hides aborted records from
`read_committed` readers nor stores offsets sent in a transaction (a restarted worker
would fold and publish everything again). `CRM_PROCESSING_GUARANTEE` chooses: `auto`
(default) probes the broker (`broker_honours_transactions`), `exactly_once` or
`at_least_once` force one. docs/kafka.md, "Exactly once".
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from faust.transport.consumer import TransactionManager
from faust.types import TP

from events.topics import COMMANDS

log = logging.getLogger(__name__)

EXACTLY_ONCE = "exactly_once"
AT_LEAST_ONCE = "at_least_once"
AUTO = "auto"
GUARANTEE_ENV = "CRM_PROCESSING_GUARANTEE"
PROBE_GROUP = "crm-core.transaction-probe"


class OutputTransactions(TransactionManager):
    """faust's transaction manager, with each input's records in its input's transaction.

    `in_flight` is held by an agent from an input's first output record to its ack;
    `commit` takes it too, so a transaction never commits an input's records without
    its offset, nor its offset without all its records.

    A rebalance commits the open transactions with the offsets of the inputs acked so
    far (`on_partitions_revoked`). faust does not: it forgets those offsets, the consumer
    resumes at the last committed one and processes the inputs again, while the open
    transaction, kept when the partition stays with this worker, still holds their
    records; its next commit then published every such input's events twice.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.in_flight = asyncio.Lock()
        self._acked: dict[TP, int] = {}  # next offset of each input partition, uncommitted

    def transactional_id(self, tp: TP) -> str:
        """The transactional id faust commits `tp`'s offsets with (same format)."""
        group = self.app.assignor.group_for_topic(tp.topic)
        return f"{self.app.conf.id}-{group}-{tp.partition}"

    def acked(self, tp: TP, offset: int) -> None:
        """The input at `offset` is processed: its records are in its transaction."""
        self._acked[tp] = offset + 1

    async def commit(self, offsets: Any, start_new_transaction: bool = True) -> bool:
        """Commit the offsets with their transactions, never in the middle of an input.

        faust computes `offsets` before this waits for `in_flight`: the inputs acked while
        it waited have their records in the transactions too, so their offsets go with
        them (`offsets_to_commit`)."""
        async with self.in_flight:
            return await self._commit(offsets_to_commit(offsets, self._acked),
                                      start_new_transaction)

    async def on_partitions_revoked(self, revoked: Any) -> None:
        """Before the group rebalances: commit what the transactions hold, offsets too."""
        await super().on_partitions_revoked(revoked)  # flush
        async with self.in_flight:
            if self._acked:
                log.info("rebalance: committing the open transactions at %s", self._acked)
                await self._commit(dict(self._acked), True)

    async def _start_transactions(self, tids: Iterable[str]) -> None:
        """After a rebalance, begin the transactions of the partitions that have none open.

        faust begins one for every assigned partition, also those this worker kept: their
        producer is in a transaction already (every commit begins the next one), which
        aiokafka refuses with "Invalid state transition IN_TRANSACTION -> IN_TRANSACTION",
        and faust logs that as a warning per kept partition; the open transaction carries on
        unchanged either way. Skipping those changes nothing but the warning."""
        producers = getattr(self.producer, "_transaction_producers", {})
        await super()._start_transactions(
            [tid for tid in tids if not in_transaction(producers.get(tid))])

    async def _commit(self, offsets: Any, start_new_transaction: bool) -> bool:
        done = bool(await super().commit(offsets, start_new_transaction))
        for tp, offset in offsets.items():
            if self._acked.get(tp, -1) <= offset:
                self._acked.pop(tp, None)
        return done


def in_transaction(producer: Any) -> bool:
    """Whether an aiokafka transactional producer (or None) has a transaction open."""
    manager = getattr(producer, "_txn_manager", None)
    return manager is not None and bool(manager.is_in_transaction())


def offsets_to_commit(computed: Mapping[TP, int], acked: Mapping[TP, int]) -> dict[TP, int]:
    """The offsets a commit sends: for each partition faust chose, the later of faust's
    offset and the next offset after the last input whose records are in the transaction.

    A partition faust did not choose keeps its records and offsets together in its open
    transaction until a later commit."""
    return {tp: max(offset, acked.get(tp, offset)) for tp, offset in computed.items()}


def choose_guarantee(bootstrap: str, extra: dict[str, Any] | None = None,
                     setting: str | None = None) -> str:
    """`exactly_once` or `at_least_once` from the setting (CRM_PROCESSING_GUARANTEE).

    `auto` (the default): exactly once where the broker honours transactions (Apache
    Kafka), at least once where it does not (Tansu)."""
    value = (setting if setting is not None else os.environ.get(GUARANTEE_ENV, "")).strip()
    value = value.lower() or AUTO
    if value in (EXACTLY_ONCE, AT_LEAST_ONCE):
        return value
    if value != AUTO:
        raise ValueError(f"{GUARANTEE_ENV}={value!r}: expected auto, exactly_once or "
                         "at_least_once")
    return EXACTLY_ONCE if broker_honours_transactions(bootstrap, extra) else AT_LEAST_ONCE


def broker_honours_transactions(bootstrap: str, extra: dict[str, Any] | None = None,
                                timeout: float = 30.0) -> bool:
    """Whether offsets sent in a transaction commit with it and vanish with an abort.

    The probe writes no record: it sends offsets for `crm.commands` in a consumer group
    of its own (PROBE_GROUP) in one aborted and one committed transaction, then reads
    them back. Tansu answers every request but stores neither."""
    conf = {"bootstrap.servers": bootstrap, "log_level": 0, **(extra or {})}
    probe = uuid.uuid4().hex[:12]
    producer = Producer({**conf, "transactional.id": f"{PROBE_GROUP}-{probe}",
                         "transaction.timeout.ms": 10000})
    consumer = Consumer({**conf, "group.id": PROBE_GROUP, "enable.auto.commit": False})
    tp = TopicPartition(COMMANDS, 0)
    try:
        producer.init_transactions(timeout)
        group = consumer.consumer_group_metadata()
        committed = []
        for mark, commit in ((1, False), (2, True)):
            producer.begin_transaction()
            producer.send_offsets_to_transaction([TopicPartition(COMMANDS, 0, mark)], group,
                                                 timeout)
            if commit:
                producer.commit_transaction(timeout)
            else:
                producer.abort_transaction(timeout)
            committed.append(consumer.committed([tp], timeout=timeout)[0].offset)
        honoured = committed[1] == 2 and committed[0] != 1
        log.info("transaction probe on %s: offsets after abort %d, after commit %d",
                 bootstrap, *committed)
        return honoured
    except KafkaException as exc:
        if exc.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
            raise RuntimeError(f"{COMMANDS} does not exist yet: run `crm init`") from exc
        log.warning("transaction probe on %s failed: %s", bootstrap, exc)
        return False  # no transaction support at all
    finally:
        consumer.close()
