"""Pass-through baselines: the live bench's command bytes consumed and produced again, with
no rules and no codec, by a bare faust agent and by a bare confluent-kafka loop.

Each input goes out `fanout` times (the live burst's derived events per command, ~4.6), so
a pass-through moves the traffic the core worker moves: as many records in and out. The
faust runtimes run on the core's app settings (`processors.faust_app.core_app`);
`faust-batch` is the core agent's very shape (inputs taken in batches, outputs handed to
aiokafka as one record batch per partition: `ProducerBatches`), `faust` the per-event one
(one `send` per record).

They show the ceiling of the framework beside the live path's own figure, measured the
same way in the same minutes: a worker subprocess joins its group (one warm-up record goes
through), the bench produces the whole burst at once to a topic of one partition, and the
rate is the burst's records over the time until the output topic holds all of them. The
CPU the worker used during the burst, less what it uses idle over as long, gives its cost
per record: a figure the machine's other load disturbs much less than a rate.

`python -m bench.passthrough faust|faust-batch|confluent IN OUT [FANOUT]` is the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, TopicPartition

from bench.live_load import produce_all
from bench.stack import bench_env
from bench.workers import cpu_seconds_of
from crm.bootstrap import Services
from events.admin import ensure_topics
from events.topics import AGGREGATE_TOPICS, EVENT_PARTITIONS, TopicSpec
from producers.kafka import MessageProducer

RUNTIMES = ("faust", "faust-batch", "confluent")


@dataclass
class Passthrough:
    """One pass-through run: `records` consumed (each produced `fanout` times); `per_s`
    and `cpu_us_per_record` per record consumed (an input of the core's)."""

    runtime: str
    records: int
    wall_s: float
    per_s: float
    worker_cpu_s: float
    cpu_us_per_record: float
    fanout: float = 1.0


def measure(services: Services, runtime: str, values: list[tuple[str, bytes]],
            fanout: float = 1.0, timeout: float = 300.0) -> Passthrough:
    """Run `runtime`'s pass-through worker on `values` (key, bytes), each produced again
    `fanout` times on average; its figures."""
    source, sink = f"bench.pass.{runtime}.in", f"bench.pass.{runtime}.out"
    ensure_topics(services.bootstrap, services.kafka_extra,
                  (TopicSpec(source, 1), TopicSpec(sink, EVENT_PARTITIONS)))
    log = (services.settings.log_dir / f"bench-pass-{runtime}.log").open("ab")
    worker = subprocess.Popen([sys.executable, "-m", "bench.passthrough", runtime, source, sink,
                               repr(fanout)],
                              env=bench_env(services.settings.home), stdout=log,
                              stderr=subprocess.STDOUT)
    reader = Consumer({"bootstrap.servers": services.bootstrap, "group.id": "crm-bench-pass",
                       "enable.auto.commit": False, **services.kafka_extra})
    reader.assign([TopicPartition(sink, p, 0) for p in range(EVENT_PARTITIONS)])
    seen = [0, 0.0]  # records read from the output topic, the latest's producer timestamp

    def wait_for(count: int) -> float:
        """Wait until the output holds `count` records; when the last was produced."""
        deadline = time.monotonic() + timeout
        while seen[0] < count:
            if worker.poll() is not None:
                raise RuntimeError(f"the {runtime} pass-through exited with {worker.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{runtime} pass-through: {seen[0]} of {count} records out")
            for msg in reader.consume(num_messages=10_000, timeout=0.2):
                if not msg.error():
                    seen[0] += 1
                    seen[1] = max(seen[1], msg.timestamp()[1] / 1000)
        return seen[1]

    try:
        with MessageProducer(services.bootstrap, services.codec,
                             services.kafka_extra) as producer:
            produce_all(producer, values[:1], source)
            wait_for(copies(1, fanout))
            idle = idle_cores(worker.pid)
            cpu0, t0 = cpu_seconds_of(worker.pid), time.time()
            t_first = produce_all(producer, values, source)
            wall = wait_for(copies(1 + len(values), fanout)) - t_first
            cpu = cpu_seconds_of(worker.pid) - cpu0 - idle * (time.time() - t0)
    finally:
        reader.close()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)
    n = len(values)
    return Passthrough(runtime, n, wall, n / wall, cpu, cpu / n * 1e6, fanout)


def copies(inputs: int, fanout: float) -> int:
    """Records out after `inputs` records in: the i-th input (from 0) goes out
    round((i+1) * fanout) - round(i * fanout) times, `fanout` on average."""
    return max(inputs, round(inputs * fanout)) if fanout >= 1 else inputs


def idle_cores(pid: int, seconds: float = 2.0) -> float:
    """The CPU an idle worker uses anyway (its timers, fetches, heartbeats), in cores:
    subtracted from its CPU during a burst, whose length the machine's load stretches."""
    cpu0 = cpu_seconds_of(pid)
    time.sleep(seconds)
    return (cpu_seconds_of(pid) - cpu0) / seconds


# -- the workers ------------------------------------------------------------------------------


def _faust(source: str, sink: str, batched: bool, fanout: float) -> None:
    import faust

    from processors.faust_app import BATCH, BATCH_WITHIN_S, RAW, core_app, run_worker
    from processors.faust_transport import ProducerBatches
    from producers.partitioner import partition_for

    app = core_app(os.environ.get("CRM_BENCH_BOOTSTRAP", ""), f"crm-bench-{source}")
    topic = app.topic(source, **RAW)
    count = _Copies(fanout)

    @app.agent(topic, name="pass")
    async def passthrough(stream: faust.StreamT) -> None:
        if batched:  # the core agent's shape (processors/faust_app.py, at least once)
            async for events in stream.take_events(BATCH, within=BATCH_WITHIN_S):
                batches = ProducerBatches(app.producer)
                for event in events:
                    key, value = event.key, event.value
                    for _ in range(count.next()):
                        # the core's cached partitioner, for a topic of the sink's
                        # partition count (the sink is not in the topic map)
                        partition = partition_for(AGGREGATE_TOPICS["lead"], key)
                        await batches.add(sink, partition, key, value)
                await batches.send()
            return
        send = app.producer.send
        async for event in stream.events():
            for _ in range(count.next()):
                await send(sink, event.key, event.value, None, None, None)

    run_worker(app, loglevel="warning")


class _Copies:
    """How many times the next input goes out (`copies`, input by input)."""

    def __init__(self, fanout: float) -> None:
        self.fanout, self.seen = fanout, 0

    def next(self) -> int:
        """Copies of the next input."""
        self.seen += 1
        return copies(self.seen, self.fanout) - copies(self.seen - 1, self.fanout)


def _confluent(source: str, sink: str, fanout: float) -> None:
    from confluent_kafka import Consumer, Producer

    bootstrap = os.environ.get("CRM_BENCH_BOOTSTRAP", "")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"crm-bench-{source}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "fetch.wait.max.ms": 50})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 10, "acks": "all",
                         "partitioner": "murmur2_random"})
    count = _Copies(fanout)
    stopping: list[Any] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    consumer.subscribe([source])
    try:
        while not stopping:
            batch = consumer.consume(num_messages=1000, timeout=0.1)
            for msg in batch:
                if not msg.error():
                    for _ in range(count.next()):
                        producer.produce(sink, msg.value(), msg.key())
            if batch:  # at least once: the outputs are acknowledged before the offsets
                producer.flush()
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()


def main(argv: list[str]) -> None:
    """`RUNTIME IN OUT [FANOUT]`: pass IN's records to OUT until SIGTERM."""
    runtime, source, sink = argv[:3]
    fanout = float(argv[3]) if len(argv) > 3 else 1.0
    from crm.bootstrap import bootstrap

    os.environ["CRM_BENCH_BOOTSTRAP"] = bootstrap(start=False).bootstrap
    if runtime == "confluent":
        _confluent(source, sink, fanout)
    else:
        _faust(source, sink, runtime == "faust-batch", fanout)


if __name__ == "__main__":
    main(sys.argv[1:])
