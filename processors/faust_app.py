"""The faust-streaming runtime: the core processor as an agent over `crm.commands`.

The agent only decodes, calls the rules and sends; everything else lives in
`processors.core` and `domain/`. State is rebuilt at start by folding the inputs up to
the group's committed offset (`processors.warmup`), so a restarted worker decides
exactly as the one that stopped; a worker given `crm.commands` by a rebalance first folds
what another worker folded meanwhile (`processors.warmup.FoldedInputs`).

`guarantee="exactly_once"` (processors.exactly_once) makes each input's outputs and its
offset one Kafka transaction; the default, at least once, is what Tansu can do.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import ssl
from collections.abc import Callable, Sequence
from typing import Any

import faust

from events.codec import DecodeError
from events.dlq import DeadLetter
from events.topics import COMMANDS, CORE_GROUP, DEAD_LETTER, ERP_REPLIES
from processors.core import CoreProcessor, Outgoing
from processors.exactly_once import AT_LEAST_ONCE, EXACTLY_ONCE, OutputTransactions
from processors.faust_transport import (
    PRODUCER_LINGER_MS,
    PRODUCER_MAX_BATCH_BYTES,
    CoreApp,
    ProducerBatches,
)
from processors.warmup import FoldedInputs
from producers.partitioner import partition_for

log = logging.getLogger(__name__)
APP_ID = CORE_GROUP  # the faust app id is the core's consumer group (events/topics.py)
BATCH = 1000  # inputs the core agent takes at most at once
BATCH_WITHIN_S = 0.01  # ... and how long it waits for them (a lone input waits this long)
ERP_REPLY_TYPES = frozenset({"SalesOrderCreated", "SalesOrderRejected",
                             "CustomerMasterCreated", "CustomerMasterRejected"})


def faust_credentials(kafka_extra: dict[str, Any] | None) -> Any:
    """faust's broker_credentials for the librdkafka security settings (None: plaintext).

    `kafka_extra` is `crm.config.KafkaSecurity.librdkafka()`: security.protocol,
    sasl.mechanism/username/password, ssl.ca.location.
    """
    conf = kafka_extra or {}
    protocol = str(conf.get("security.protocol", "")).upper()
    if not protocol or protocol == "PLAINTEXT":
        return None
    context = None
    if "SSL" in protocol:
        context = ssl.create_default_context(cafile=conf.get("ssl.ca.location"))
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(username=conf.get("sasl.username"),
                                     password=conf.get("sasl.password"),
                                     mechanism=conf.get("sasl.mechanism") or "PLAIN",
                                     ssl_context=context)
    return faust.SSLCredentials(context)


def core_app(bootstrap: str, app_id: str = APP_ID, kafka_extra: dict[str, Any] | None = None,
             guarantee: str = AT_LEAST_ONCE, **settings: Any) -> faust.App:
    """The faust app with the core's settings and transport, no agents yet (the bench's
    pass-through agent runs on the very same app settings as the core's)."""
    credentials = faust_credentials(kafka_extra)
    if credentials is not None:
        settings.setdefault("broker_credentials", credentials)
    settings.setdefault("producer_linger_ms", PRODUCER_LINGER_MS)
    settings.setdefault("producer_max_batch_size", PRODUCER_MAX_BATCH_BYTES)
    # which worker holds which partition (the group's description names each member's
    # client id): host and pid, not faust's version, when several workers share the group
    settings.setdefault("broker_client_id", f"{app_id}-{socket.gethostname()}-{os.getpid()}")
    return CoreApp(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        broker_session_timeout=6,
        broker_heartbeat_interval=1,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        topic_allow_declare=False,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        processing_guarantee=guarantee,
        **settings,
    )


RAW = {"key_type": bytes, "value_type": bytes, "key_serializer": "raw",
       "value_serializer": "raw"}


def build_app(bootstrap: str, processor: CoreProcessor, app_id: str = APP_ID,
              kafka_extra: dict[str, Any] | None = None, guarantee: str = AT_LEAST_ONCE,
              folded: int = 0, **settings: Any) -> faust.App:
    """A faust app whose one agent folds `crm.commands` through the processor.

    `kafka_extra`: the librdkafka security settings the other clients get, turned into
    faust's `broker_credentials`. `guarantee`: `at_least_once` (outputs flushed before
    the input offsets commit) or `exactly_once` (outputs and offsets in one transaction,
    read_committed input). `folded`: the processor's state is the fold of the inputs
    below this offset (the warm-up's result).
    """
    app = core_app(bootstrap, app_id, kafka_extra, guarantee, **settings)
    commands = app.topic(COMMANDS, **RAW)
    erp_replies = app.topic(ERP_REPLIES, **RAW)
    publish = _transactional_sink(app) if guarantee == EXACTLY_ONCE else _sink(app)
    state = FoldedInputs(processor, bootstrap, folded, kafka_extra,
                         exactly_once=guarantee == EXACTLY_ONCE)

    @app.on_partitions_revoked.connect
    async def revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        state.rebalanced()

    @app.on_partitions_assigned.connect
    async def assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
        state.rebalanced()

    async def caught_up(offset: int) -> None:
        """Before the input at `offset`: after a rebalance, fold what others folded."""
        if state.stale:
            await asyncio.get_running_loop().run_in_executor(None, state.catch_up, offset)
            if state.caught_up:
                log.warning("core: took over %s at %d, %d inputs folded first", COMMANDS,
                            offset, state.caught_up)
                state.caught_up = 0

    @app.agent(commands, name="core")
    async def core(stream: faust.StreamT) -> None:
        # Inputs in batches (what has arrived, up to BATCH, after at most BATCH_WITHIN_S).
        # At least once: faust acks a batch's inputs once the sink has handed their
        # outputs over; exactly once: the sink acks each one inside the batch's
        # transaction (_transactional_sink).
        settled = False
        async for events in stream.take_events(BATCH, within=BATCH_WITHIN_S):
            await caught_up(events[0].message.offset)
            await publish(events, fold)
            if not settled:  # faust's own start-up objects join what run_worker froze
                settled = True
                gc.collect()
                gc.freeze()

    def fold(event: faust.EventT) -> list[Outgoing] | DeadLetter:
        msg = event.message
        state.at(msg.offset)
        return processor.process_bytes(event.value, msg.partition, msg.offset)

    def bridge(event: faust.EventT) -> list[Outgoing] | DeadLetter:
        msg = event.message
        return bridge_erp_reply(processor, event.value, msg.partition, msg.offset)

    @app.agent(erp_replies, name="erp-bridge")
    async def erp_bridge(stream: faust.StreamT) -> None:
        async for event in stream.events():
            await publish([event], bridge)

    return app


_Record = tuple[str, bytes, bytes, Any]
_Fold = Callable[[faust.EventT], list[Outgoing] | DeadLetter]
_Sink = Any  # async (a batch of inputs, what folds one) -> None


def _records(result: list[Outgoing] | DeadLetter) -> list[_Record]:
    if isinstance(result, DeadLetter):
        return [(DEAD_LETTER, result.key, result.original, result.headers())]
    return [(out.topic, out.key.encode(), out.value, None) for out in result]


def _sink(app: faust.App) -> _Sink:
    """At least once: a batch's records go to the app's producer as one record batch per
    topic partition (in input order within each), which faust flushes before it commits
    input offsets; faust acks the batch's inputs when the agent takes the next batch."""

    async def publish(events: Sequence[faust.EventT], fold: _Fold) -> None:
        results = [fold(event) for event in events]
        # One record batch per partition instead of a send per record: aiokafka's send
        # and faust's wrapper around it were ~25 % of the worker's CPU (py-spy,
        # docs/benchmarks.md "Live path"). Partitions as Kafka's default partitioner
        # (murmur2 of the key) picks them, like every producer of ours.
        producer = app.producer
        batches = ProducerBatches(producer)
        for result in results:
            if isinstance(result, DeadLetter):  # rare: faust's own send, headers and all
                for topic, key, value, headers in _records(result):
                    await producer.send(topic, key, value, None, None, headers)
                continue
            for out in result:
                key = out.key.encode()
                await batches.add(out.topic, partition_for(out.topic, key), key, out.value)
        await batches.send()

    return publish


def _transactional_sink(app: faust.App) -> _Sink:
    """Exactly once: a batch's records go to their inputs' partitions' transactions, and
    its inputs are acked before another commit may run (OutputTransactions.in_flight).

    The lock is held for the whole batch, so a commit waits for one batch's records at
    most; it then commits the offsets of every input acked by then (faust computes its
    offsets before it waits: `offsets_to_commit`), so no input's records commit without
    its offset."""

    async def publish(events: Sequence[faust.EventT], fold: _Fold) -> None:
        transactions = app.consumer.transactions
        assert isinstance(transactions, OutputTransactions)
        producer = transactions.producer
        async with transactions.in_flight:
            for event in events:
                msg = event.message
                tid = transactions.transactional_id(msg.tp)
                for topic, key, value, headers in _records(fold(event)):
                    await producer.send(topic, key, value, None, None, headers,
                                        transactional_id=tid)
                event.ack()  # its offset may now commit, in the transaction of its records
                transactions.acked(msg.tp, msg.offset)

    return publish


def bridge_erp_reply(processor: CoreProcessor, value: bytes, partition: int,
                     offset: int) -> list[Outgoing] | DeadLetter:
    """An ERP answer becomes an input of the core, in order with every other input."""
    try:
        reply = processor.codec.decode(value)
    except DecodeError as exc:
        return DeadLetter(value, str(exc), ERP_REPLIES, partition, offset)
    if reply.event_type not in ERP_REPLY_TYPES:
        return DeadLetter(value, f"{reply.event_type} is not an ERP reply", ERP_REPLIES,
                          partition, offset)
    return [Outgoing(COMMANDS, reply.aggregate_id, value)]


def run_worker(app: faust.App, loglevel: str = "info") -> None:
    """Run the worker until SIGINT/SIGTERM (blocks).

    Whatever exists now (the state rebuilt from the input log, imported modules) lives
    as long as the worker: it is moved out of the garbage collector's sight, so that a
    full collection does not rescan it (~0.2 s per pass with 180 days of state, a pause
    every live input would wait out).
    """
    gc.collect()
    gc.freeze()
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
