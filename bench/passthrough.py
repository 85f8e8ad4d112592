"""Pass-through baselines: the live bench's command bytes consumed and produced again, with
no rules and no codec, by a bare faust agent and by a bare confluent-kafka loop.

They show the ceiling of the framework beside the live path's own figure, measured the
same way in the same minutes: a worker subprocess joins its group (one warm-up record goes
through), the bench produces the whole burst at once to a topic of one partition, and the
rate is the burst's records over the time until the output topic holds all of them. The
CPU the worker used during the burst, less what it uses idle over as long, gives its cost
per record: a figure the machine's other load disturbs much less than a rate.

`python -m bench.passthrough faust|faust-batch|confluent IN OUT` is the worker itself.
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
from events.topics import EVENT_PARTITIONS, TopicSpec
from producers.kafka import MessageProducer

RUNTIMES = ("faust", "faust-batch", "confluent")
BATCH = 1000  # faust-batch: stream.take_events(BATCH, within=BATCH_WITHIN_S)
BATCH_WITHIN_S = 0.01


@dataclass
class Passthrough:
    """One pass-through run: records consumed and produced again, per second."""

    runtime: str
    records: int
    wall_s: float
    per_s: float
    worker_cpu_s: float
    cpu_us_per_record: float


def measure(services: Services, runtime: str, values: list[tuple[str, bytes]],
            timeout: float = 300.0) -> Passthrough:
    """Run `runtime`'s pass-through worker on `values` (key, bytes); its figures."""
    source, sink = f"bench.pass.{runtime}.in", f"bench.pass.{runtime}.out"
    ensure_topics(services.bootstrap, services.kafka_extra,
                  (TopicSpec(source, 1), TopicSpec(sink, EVENT_PARTITIONS)))
    log = (services.settings.log_dir / f"bench-pass-{runtime}.log").open("ab")
    worker = subprocess.Popen([sys.executable, "-m", "bench.passthrough", runtime, source, sink],
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
            wait_for(1)
            idle = idle_cores(worker.pid)
            cpu0, t0 = cpu_seconds_of(worker.pid), time.time()
            t_first = produce_all(producer, values, source)
            wall = wait_for(1 + len(values)) - t_first
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
    return Passthrough(runtime, n, wall, n / wall, cpu, cpu / n * 1e6)


def idle_cores(pid: int, seconds: float = 2.0) -> float:
    """The CPU an idle worker uses anyway (its timers, fetches, heartbeats), in cores:
    subtracted from its CPU during a burst, whose length the machine's load stretches."""
    cpu0 = cpu_seconds_of(pid)
    time.sleep(seconds)
    return (cpu_seconds_of(pid) - cpu0) / seconds


# -- the workers ------------------------------------------------------------------------------


def _faust(source: str, sink: str, batched: bool) -> None:
    import faust

    from processors.faust_app import RAW, core_app, run_worker

    app = core_app(os.environ.get("CRM_BENCH_BOOTSTRAP", ""), f"crm-bench-{source}")
    topic = app.topic(source, **RAW)

    @app.agent(topic, name="pass")
    async def passthrough(stream: faust.StreamT) -> None:
        send = app.producer.send
        if batched:
            async for events in stream.take_events(BATCH, within=BATCH_WITHIN_S):
                for event in events:
                    await send(sink, event.key, event.value, None, None, None)
            return
        async for event in stream.events():
            await send(sink, event.key, event.value, None, None, None)

    run_worker(app, loglevel="warning")


def _confluent(source: str, sink: str) -> None:
    from confluent_kafka import Consumer, Producer

    bootstrap = os.environ.get("CRM_BENCH_BOOTSTRAP", "")
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"crm-bench-{source}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "fetch.wait.max.ms": 50})
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 10, "acks": "all",
                         "partitioner": "murmur2_random"})
    stopping: list[Any] = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    consumer.subscribe([source])
    try:
        while not stopping:
            batch = consumer.consume(num_messages=1000, timeout=0.1)
            for msg in batch:
                if not msg.error():
                    producer.produce(sink, msg.value(), msg.key())
            if batch:  # at least once: the outputs are acknowledged before the offsets
                producer.flush()
                consumer.commit(asynchronous=False)
    finally:
        consumer.close()


def main(argv: list[str]) -> None:
    """`RUNTIME IN OUT`: pass IN's records to OUT until SIGTERM."""
    runtime, source, sink = argv
    from crm.bootstrap import bootstrap

    os.environ["CRM_BENCH_BOOTSTRAP"] = bootstrap(start=False).bootstrap
    if runtime == "confluent":
        _confluent(source, sink)
    else:
        _faust(source, sink, batched=runtime == "faust-batch")


if __name__ == "__main__":
    main(sys.argv[1:])
