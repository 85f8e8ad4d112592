"""Profile one stage of the backfill: `python -m bench.profile STAGE [--days N]`.

Stages: `generate` (simulation + rules + Avro encoding, in-process), `publish` (the log
to Kafka), `project` (the projector catching up on what was published) and `archive`
(the archiver mirroring the topics), each run alone and in order on a temporary embedded
stack, so that one profile shows one stage. `backfill` profiles the whole pipelined
backfill instead (only its own process; the followers report their CPU in `crm bench`).

Prints pyinstrument's call tree (`--cprofile`: cProfile's functions by own time). These
are the profiles docs/benchmarks.md quotes.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

STAGES = ("generate", "publish", "project", "archive", "backfill")


@contextlib.contextmanager
def profiled(name: str, use_cprofile: bool, wanted: bool) -> Iterator[None]:
    """Profile the block when `wanted`; print the report and the wall time."""
    if not wanted:
        yield
        return
    started = time.perf_counter()
    if use_cprofile:
        prof = cProfile.Profile()
        prof.enable()
        yield
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(30)
        report = out.getvalue()
    else:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
        yield
        profiler.stop()
        report = profiler.output_text(unicode=False, color=False)
    print(f"== {name}: {time.perf_counter() - started:.2f} s wall ==")
    print(report)


def run(stage: str, days: int, scale: float, use_cprofile: bool) -> None:
    """Run the backfill's stages up to `stage` on a temporary stack, profiling `stage`."""
    from rich.console import Console

    from archive.log import Archiver
    from backfill.generate import BackfillPlan, generate, run_dir
    from backfill.publish import publish
    from backfill.run import run_backfill, simulation_factory
    from bench.stack import temp_stack
    from projectors.runner import Projector

    plan = BackfillPlan(days, 42, date(2026, 1, 31), scale)
    with temp_stack(prefix="crm-profile-") as services:
        services.init()
        if stage == "backfill":
            with profiled(stage, use_cprofile, True), open(os.devnull, "w") as null:
                run_backfill(services, plan, Console(file=null))
            return
        directory = run_dir(services.settings.home, plan)
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("generate", lambda: generate(plan, directory, simulation_factory("business"))),
            ("publish", lambda: publish(directory, services.bootstrap, services.kafka_extra)),
            ("project", lambda: _project(Projector(services.engine, services.bootstrap,
                                                   codec=services.codec))),
            ("archive", lambda: _archive(Archiver(services.settings.archive_dir,
                                                  services.bootstrap))),
        ]
        for name, step in steps:
            with profiled(name, use_cprofile, name == stage):
                step()
            if name == stage:
                return


def _project(projector: Any) -> None:
    try:
        projector.catch_up(timeout=3600)
    finally:
        projector.close()


def _archive(archiver: Any) -> None:
    try:
        archiver.catch_up()
    finally:
        archiver.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage", choices=STAGES)
    parser.add_argument("--days", type=int, default=45, help="days of history (default 45)")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--cprofile", action="store_true",
                        help="cProfile's flat table instead of pyinstrument's call tree")
    args = parser.parse_args(argv)
    run(args.stage, args.days, args.scale, args.cprofile)


if __name__ == "__main__":
    main()
