"""The projector worker keeps its long-lived objects out of the garbage collector's scans."""

from __future__ import annotations

import gc

from operations.live_workers import freeze_once


def test_the_projector_worker_freezes_what_is_alive_after_its_first_batch_and_only_then() -> None:
    progress = freeze_once()
    gc.unfreeze()
    try:
        progress(1)
        assert gc.get_freeze_count() > 0  # modules, schemas, caches: out of every scan
        gc.unfreeze()
        progress(2)  # later batches leave the collector as it is
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
