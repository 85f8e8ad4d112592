"""Long-running workers: the faust rules worker, the projector and the stand-in ERP.

Shutdown is graceful on SIGTERM/SIGINT: the projector and the ERP finish the batch in
hand (its rows and offsets commit together) and leave their groups; the faust worker
stops its agents and commits what they processed. A second signal exits at once, which
is safe too: a batch that did not commit is read again on restart.
"""

from __future__ import annotations

import gc
import logging
import signal
from collections.abc import Callable
from types import FrameType

from crm.bootstrap import bootstrap
from events.topics import CORE_GROUP
from processors.exactly_once import EXACTLY_ONCE, choose_guarantee
from processors.faust_app import build_app, run_worker
from processors.warmup import warm_up

log = logging.getLogger(__name__)


def run_core() -> None:
    """Rebuild state from the input log, then run the faust worker (blocks).

    The processing guarantee (CRM_PROCESSING_GUARANTEE, `auto` by default) is exactly
    once where the broker honours transactions, at least once on Tansu."""
    services = bootstrap(start=False)
    processor = services.processor()
    guarantee = choose_guarantee(services.bootstrap, services.kafka_extra)
    isolation = "read_committed" if guarantee == EXACTLY_ONCE else "read_uncommitted"
    folded = warm_up(processor, services.bootstrap, CORE_GROUP, services.kafka_extra,
                     isolation)
    log.warning("core: %s, state rebuilt from %d inputs", guarantee, folded)
    run_worker(build_app(services.bootstrap, processor, kafka_extra=services.kafka_extra,
                         guarantee=guarantee, folded=folded))


def stop_on_signals(role: str) -> Callable[[], bool]:
    """Install SIGTERM/SIGINT handlers; returns `should_stop()` for the worker's loop."""
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if stopping:
            log.warning("%s: second %s, exiting now", role, signal.Signals(signum).name)
            raise SystemExit(128 + signum)
        stopping = True
        log.warning("%s: %s received, finishing the current batch", role,
                    signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return lambda: stopping


def run_projector() -> None:
    """Project the event topics into PostgreSQL until SIGINT/SIGTERM."""
    services = bootstrap(start=False)
    should_stop = stop_on_signals("projector")
    projector = services.projector()
    log.warning("projector: started, group %s, %d topics", projector.group,
                len(projector.topics))
    archive = None
    if services.stack.embedded_kafka:  # local mode: the archive is the durable copy
        from localstack.durability import ContinuousArchive

        archive = ContinuousArchive(services.settings, services.stack)
        archive.start()
    try:
        projector.follow(should_stop, progress=freeze_once())
    finally:
        projector.close()
        if archive is not None:
            log.warning("projector: %d records archived", archive.stop())
    log.warning("projector: %d events, %d rows", projector.stats.events, projector.stats.rows)


def freeze_once() -> Callable[[int], None]:
    """A `progress` callback that, after the projector's first batch, moves everything
    alive then (modules, schemas, the caches that batch filled, the connections) out of
    the garbage collector's sight for good, as the core worker does after its warm-up.

    Without it every full collection rescans those objects: a pause of 0.5-1.6 s on a
    loaded machine that every event arriving meanwhile waits out (the tail of the live
    latency, docs/benchmarks.md). A batch's own objects are freed by reference counting
    and the young generations, as before.
    """
    done = False

    def progress(events: int) -> None:
        nonlocal done
        if not done:
            done = True
            gc.collect()
            gc.freeze()

    return progress


def run_erp_simulator() -> None:
    """The stand-in ERP (local mode) until SIGINT/SIGTERM."""
    from operations.erp_worker import run_erp

    services = bootstrap(start=False)
    should_stop = stop_on_signals("erp")
    replies = run_erp(services.bootstrap, should_stop, services.codec, services.kafka_extra)
    log.warning("erp: %d replies", replies)
