"""The same seed and end date give the same archive, byte for byte.

Always the business simulation (an ImportError if it is missing, never a quiet switch to
the lead-only one). Across processes and hash seeds: test_hash_seed_determinism.py."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from fastavro.write import Writer

from backfill.generate import BackfillPlan, generate
from backfill.run import simulation_factory
from backfill.runlog import LOG_CODEC, LOG_RECORD, SYNC_INTERVAL, LogFile, read_log


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


def test_the_log_file_is_byte_for_byte_what_fastavros_writer_writes(tmp_path: Path) -> None:
    records = [(f"crm.topic-{n % 3}", f"KEY-{n}-ü", bytes([n % 256]) * (n % 1500))
               for n in range(3000)]  # ~2.2 MB: three blocks
    reference = tmp_path / "reference.avro"
    with reference.open("wb") as fh:
        writer = Writer(fh, LOG_RECORD, codec=LOG_CODEC, sync_interval=SYNC_INTERVAL,
                        sync_marker=hashlib.sha256(b"run").digest()[:16])
        for topic, key, value in records:
            writer.write({"topic": topic, "key": key, "value": value})
        writer.flush()
    log = LogFile(tmp_path, "run")
    log.send_all(records[:1234])
    for record in records[1234:1240]:
        log.send(*record)
    log.send_all(records[1240:])
    log.finish()
    assert digest(tmp_path / "log.avro") == digest(reference)
    assert [(r["topic"], r["key"], r["value"]) for r in read_log(tmp_path)] == records
