"""Producer faults: the broker is unreachable for a while. Messages are held and retried,
none dropped or doubled, and the CLI says what it is waiting for."""

from __future__ import annotations

import logging
import os
import signal
import threading
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
        restarting = threading.Event()

        def restart() -> None:
            restarting.set()
            restarted.append(start_broker(settings))

        timer = threading.Timer(6.0, restart)
        caplog.set_level(logging.WARNING, logger="producers.kafka")
        producer = MessageProducer(bootstrap)
        for r in commands:
            producer.send_raw(r.topic, r.key, r.value, partition=r.partition)
        assert producer.delivered == 0
        timer.start()
        producer.flush()  # waits for the broker, saying so
        # flush returned only once the broker was back (not at once with an error or with
        # messages dropped), and said meanwhile what it waited for
        assert restarting.is_set(), "flush returned before the broker was restarted"
        waits = [r for r in caplog.records if "waiting for the Kafka broker" in r.getMessage()]
        assert waits, "flush waited without saying so"
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
    """The broker dies between cycle 1 and cycle 2 (the CLI is paused with SIGSTOP while
    the old broker's content is read and the broker killed, so the count is exact): the
    new broker must hold every later input exactly once, in order; nothing may be lost."""
    h = history()
    cycles = 4  # 1 before the fault, 2 held through it, 3 and 4 on the new broker
    with temp_home() as broker_home, own_broker(broker_home) as settings, \
            temp_home() as home:
        bootstrap = broker_of(settings)
        h.copy_run_into(home)  # `crm simulate` continues where this backfill ended
        expected = [[r.value for r in batch if r.topic == COMMANDS]
                    for batch in continuation(h, cycles)]
        flat = [v for batch in expected for v in batch]
        assert len(expected[0]) > 0 and len(expected[1]) > 0
        # 3 s between cycles (--speed 600): the pause lands before cycle 2 begins
        proc = CrmProcess(["simulate", "--cycles", str(cycles), "--speed", "600",
                           "--no-workers"], crm_env(home, bootstrap, fresh_db_url),
                          home / "simulate.out")
        wait_for(lambda: "cycle 1:" in proc.output(), 120, "the first cycle", proc,
                 interval=0.02)
        os.kill(proc.proc.pid, signal.SIGSTOP)  # "cycle 1:" is printed after its flush
        try:
            held = [v for _, v in read_partitions(bootstrap, [(COMMANDS, 0)])
                    .get((COMMANDS, 0), [])]
            assert held == flat[:len(expected[0])], (
                f"the old broker holds {len(held)} inputs at the fault: exactly cycle 1's "
                f"{len(expected[0])} expected (cycle 2 must not have begun)")
            kill_broker(settings)  # cycle 2 onwards must wait for the new broker
        finally:
            os.kill(proc.proc.pid, signal.SIGCONT)
        wait_for(lambda: f"waiting for the Kafka broker at {bootstrap}" in proc.output(), 60,
                 "the CLI to say what it waits for", proc)
        assert "cycle 2:" not in proc.output(), "cycle 2 cannot finish without a broker"
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
        # exactly what the old broker did not hold: every input from cycle 2 on, once, in
        # order (one lost or doubled message fails)
        assert len(on_new_broker) == len(flat) - len(held)
        assert on_new_broker == flat[len(held):], "every input delivered once, in order"
