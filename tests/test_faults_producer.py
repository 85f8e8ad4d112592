"""Producer faults: the broker is unreachable for a while. Messages are held and retried,
none dropped or doubled, and the CLI says what it is waiting for."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from faults_support import (
    CrmProcess,
    broker_of,
    continuation,
    crm_env,
    history,
    kill_broker,
    own_broker,
    read_partitions,
    start_broker,
    wait_for,
)
from support import temp_home

from events.topics import COMMANDS
from producers.kafka import MessageProducer

# markers per test, by what each needs: the server-free ones run in `make test-fast`
CYCLE = timedelta(minutes=30)


@pytest.mark.faults
@pytest.mark.integration
def test_messages_sent_while_the_broker_is_down_are_held_and_delivered_once(
        caplog: pytest.LogCaptureFixture) -> None:
    commands = history().commands[:2000]
    with temp_home() as home, own_broker(home) as settings:
        bootstrap = broker_of(settings)
        kill_broker(settings)
        restarted: list[str] = []
        timer = threading.Timer(6.0, lambda: restarted.append(start_broker(settings)))
        caplog.set_level(logging.WARNING, logger="producers.kafka")
        producer = MessageProducer(bootstrap)
        for r in commands:
            producer.send_raw(r.topic, r.key, r.value, partition=r.partition)
        timer.start()
        started = time.monotonic()
        producer.flush()  # waits for the broker, saying so
        assert time.monotonic() - started > 3
        timer.join()
        assert restarted == [bootstrap], "the new broker listens on the same port"
        assert producer.delivered == len(commands)
        assert read_partitions(bootstrap, [(COMMANDS, 0)]) == \
            {(COMMANDS, 0): [(r.key, r.value) for r in commands]}
    text = caplog.text
    assert f"Kafka broker at {bootstrap} unreachable" in text
    assert f"waiting for the Kafka broker at {bootstrap}" in text
    assert "messages held, not lost" in text


@pytest.mark.faults
@pytest.mark.integration
def test_crm_simulate_waits_for_an_unreachable_broker_and_says_so(fresh_db_url: str) -> None:
    h = history()
    cycles = 6
    with temp_home() as broker_home, own_broker(broker_home) as settings, \
            temp_home() as home:
        bootstrap = broker_of(settings)
        h.copy_run_into(home)  # `crm simulate` continues where this backfill ended
        expected = [[r.value for r in batch if r.topic == COMMANDS]
                    for batch in continuation(h, cycles)]
        proc = CrmProcess(["simulate", "--cycles", str(cycles), "--speed", "1200",
                           "--no-workers"], crm_env(home, bootstrap, fresh_db_url),
                          home / "simulate.out")
        wait_for(lambda: "cycle 1:" in proc.output(), 120, "the first cycle", proc,
                 interval=0.02)
        kill_broker(settings)  # cycle 1 is on the old broker; cycle 2 onwards must wait
        wait_for(lambda: f"waiting for the Kafka broker at {bootstrap}" in proc.output(), 60,
                 "the CLI to say what it waits for", proc)
        assert "cycle 3:" not in proc.output()
        assert start_broker(settings) == bootstrap
        assert proc.wait(120) == 0, proc.output()
        out = proc.output()
        assert f"Kafka broker at {bootstrap} unreachable" in out
        assert "messages held, not lost" in out
        # the restarted (empty) broker no longer knows the idempotent producer's id: the
        # held messages go again from a new producer rather than waiting forever
        assert "again from a new producer" in out
        assert f"cycle {cycles}:" in out
        on_new_broker = [v for _, v in read_partitions(bootstrap, [(COMMANDS, 0)])
                         .get((COMMANDS, 0), [])]
        # the new broker holds, once and in order, everything the old one had not
        # acknowledged when it died: the inputs from cycle 2 on (on a busy machine cycle 2
        # may have started, and been partly acknowledged, before the kill)
        flat = [v for batch in expected for v in batch]
        skipped = len(flat) - len(on_new_broker)
        assert len(expected[0]) <= skipped <= len(expected[0]) + len(expected[1])
        assert on_new_broker == flat[skipped:], "every input delivered once, in order"
