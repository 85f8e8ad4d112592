"""Long-running workers: the faust rules worker and the projector."""

from __future__ import annotations

import logging
import signal
from types import FrameType

from crm.bootstrap import bootstrap
from processors.core import CoreProcessor
from processors.faust_app import APP_ID, build_app, run_worker
from processors.warmup import warm_up

log = logging.getLogger(__name__)


def run_core() -> None:
    """Rebuild state from the input log, then run the faust worker (blocks)."""
    services = bootstrap(start=False)
    processor = CoreProcessor(codec=services.codec)
    folded = warm_up(processor, services.bootstrap, APP_ID, services.kafka_extra)
    log.warning("core: state rebuilt from %d inputs", folded)
    run_worker(build_app(services.bootstrap, processor))


def run_projector() -> None:
    """Project the event topics into PostgreSQL until SIGINT/SIGTERM."""
    from projectors.runner import Projector

    services = bootstrap(start=False)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    projector = Projector(services.engine, services.bootstrap, codec=services.codec,
                          extra=services.kafka_extra)
    projector.run(lambda: stopping)
    log.warning("projector: %d events, %d rows", projector.stats.events, projector.stats.rows)


def run_erp_simulator() -> None:
    """The stand-in ERP (local mode) until SIGINT/SIGTERM."""
    from crm.erp_worker import run_erp

    services = bootstrap(start=False)
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    replies = run_erp(services.bootstrap, lambda: stopping, services.codec, services.kafka_extra)
    log.warning("erp: %d replies", replies)
