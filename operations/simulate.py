"""`crm simulate`: the live daemon, like the seed's 30-minute cycle.

Each cycle the simulation submits the business activity of 30 simulated minutes and a
clock tick to `crm.commands`; the live rules worker (`crm run --role core`) derives the
events. The simulation learns from a shadow in-process core fed the same inputs: the
rules are deterministic, so it sees exactly what the live worker derives. The simulation
and its shadow are checkpointed every few cycles and on exit; after a crash the cycles
since the checkpoint are submitted again with the same event ids, which the core ignores
as duplicates: nothing lost, nothing doubled.
"""

from __future__ import annotations

import logging
import signal
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from backfill.generate import CYCLE
from crm.bootstrap import Services
from domain.kernel.messages import Event, Message
from processors.core import CoreProcessor
from simulators.checkpoint import load_checkpoint, save_checkpoint

log = logging.getLogger("operations.simulate")
CHECKPOINT_EVERY = 12  # cycles (6 simulated hours)


@dataclass
class Live:
    """The simulation, its shadow core and the time of the last cycle."""

    simulation: Any
    core: CoreProcessor
    clock: datetime


def checkpoint_path(services: Services) -> Path:
    return services.settings.home / "simulation" / "checkpoint.pkl"


def resume(services: Services, seed: int, scale: float) -> Live:
    """The live checkpoint, else the newest backfill's end state, else a fresh world."""
    candidates = [checkpoint_path(services)]
    runs = services.settings.home / "backfill"
    if runs.exists():
        candidates += sorted(runs.glob("*/checkpoint.pkl"), key=lambda p: p.stat().st_mtime,
                             reverse=True)
    for path in candidates:
        if path.exists():
            saved = load_checkpoint(path)
            core = services.processor()
            core.state = saved["state"]
            log.info("resuming from %s at %s", path, saved["clock"])
            return Live(saved["simulation"], core, saved["clock"])
    from backfill.run import simulation_factory

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    start = now - timedelta(minutes=now.minute % 30)
    return Live(simulation_factory("business")(seed, start, scale), services.processor(),
                start)


def simulate(services: Services, cycles: int, speed: float, seed: int = 42,
             scale: float = 1.0, on_cycle: Any = None) -> int:
    """Run `cycles` cycles (0 = until stopped); returns the inputs submitted."""
    live = resume(services, seed, scale)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        log.warning("signal %d: finishing the current cycle", signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    submitted = done = 0
    try:
        with services.producer() as producer:
            def submit(message: Message) -> list[Event]:
                producer.send(message)
                return live.core.process(message)

            while not stopping and (cycles == 0 or done < cycles):
                started = time.monotonic()
                live.clock += CYCLE
                submitted += live.simulation.cycle(live.clock, submit)
                producer.flush()
                done += 1
                log.info("cycle %d at %s: %d inputs", done, live.clock, submitted)
                if on_cycle is not None:
                    on_cycle(done, live.clock)
                if done % CHECKPOINT_EVERY == 0:
                    _save(services, live)
                if speed > 0 and done != cycles:  # no pause after the last cycle
                    _sleep(CYCLE.total_seconds() / speed - (time.monotonic() - started),
                           lambda: stopping)
    finally:
        _save(services, live)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return submitted


def _save(services: Services, live: Live) -> None:
    path = checkpoint_path(services)
    path.parent.mkdir(parents=True, exist_ok=True)
    save_checkpoint(path, live.simulation, live.core.state, live.clock)


def _sleep(seconds: float, stopping: Any) -> None:
    deadline = time.monotonic() + max(0.0, seconds)
    while time.monotonic() < deadline and not stopping():
        time.sleep(min(0.2, deadline - time.monotonic()))
