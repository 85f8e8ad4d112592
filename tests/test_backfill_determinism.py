"""The same seed and end date give the same archive, byte for byte.

Always the business simulation (an ImportError if it is missing, never a quiet switch to
the lead-only one). Across processes and hash seeds: test_hash_seed_determinism.py."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from backfill.generate import BackfillPlan, generate
from backfill.run import simulation_factory
from backfill.runlog import read_log


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_generations_of_one_plan_write_byte_identical_logs(tmp_path: Path) -> None:
    plan = BackfillPlan(days=2, seed=5, end_date=date(2026, 3, 31), scale=0.2)
    first = generate(plan, tmp_path / "a", simulation_factory("business"))
    second = generate(plan, tmp_path / "b", simulation_factory("business"))
    assert first == second
    assert digest(tmp_path / "a" / "log.avro") == digest(tmp_path / "b" / "log.avro")
    assert sum(1 for _ in read_log(tmp_path / "a")) == first.inputs + first.events


def test_a_different_seed_gives_a_different_history(tmp_path: Path) -> None:
    a = BackfillPlan(days=1, seed=5, end_date=date(2026, 3, 31), scale=0.2)
    b = BackfillPlan(days=1, seed=6, end_date=date(2026, 3, 31), scale=0.2)
    generate(a, tmp_path / "a", simulation_factory("business"))
    generate(b, tmp_path / "b", simulation_factory("business"))
    assert digest(tmp_path / "a" / "log.avro") != digest(tmp_path / "b" / "log.avro")


def test_a_completed_generation_is_not_redone(tmp_path: Path) -> None:
    plan = BackfillPlan(days=1, seed=5, end_date=date(2026, 3, 31), scale=0.2)
    generate(plan, tmp_path, simulation_factory("leads"))
    before = (tmp_path / "log.avro").stat().st_mtime_ns
    generate(plan, tmp_path, simulation_factory("leads"))
    assert (tmp_path / "log.avro").stat().st_mtime_ns == before
