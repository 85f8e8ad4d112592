"""Determinism across processes and hash seeds (docs/simulation.md promises it).

The in-process tests (test_backfill_determinism.py, the fold of test_faults_core.py) run
twice inside one interpreter, so they share one PYTHONHASHSEED: a rule or a simulation
step that iterated a set of strings, or ordered by hash(), would pass them. Here each
generation and each fold runs in a subprocess of its own with a different
PYTHONHASHSEED, and the bytes are compared.

A short history keeps it in the fast suite: the business simulation, 5 days at scale 0.2
(~3,000 inputs, ~3,800 derived events; a few seconds per process).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DAYS, SEED, SCALE, END = 5, 11, 0.2, "2026-03-31"
HASH_SEEDS = ("1", "2", "4242")

# Runs in the subprocess. `generate DIR`: simulate and fold the plan into DIR/log.avro.
# `fold DIR`: re-fold the inputs of DIR's log in a fresh core. Both print a JSON summary.
CHILD = """
import hashlib, json, sys
from datetime import date
from pathlib import Path

from backfill.generate import BackfillPlan, generate
from backfill.runlog import read_log
from events.topics import COMMANDS
from processors.core import CoreProcessor

mode, directory = sys.argv[1], Path(sys.argv[2])
days, seed, scale, end = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
if mode == "generate":
    plan = BackfillPlan(days, seed, date.fromisoformat(end), scale)
    from simulators.business import BusinessSimulation  # what simulation_factory gives

    stats = generate(plan, directory, BusinessSimulation)
    print(json.dumps({"inputs": stats.inputs, "events": stats.events}))
else:
    core, derived = CoreProcessor(), hashlib.sha256()
    count = 0
    for record in read_log(directory):
        if record["topic"] == COMMANDS:
            for out in core.process_bytes(record["value"]):
                derived.update(out.topic.encode() + b"|" + out.key.encode() + b"|" + out.value)
                count += 1
    print(json.dumps({"events": count, "derived": derived.hexdigest()}))
"""


def children(runs: list[tuple[str, Path, str]]) -> list[dict[str, object]]:
    """Run CHILD (mode, directory) in fresh interpreters, each under its PYTHONHASHSEED,
    side by side; their JSON summaries."""
    procs = []
    for mode, directory, hash_seed in runs:
        env = {**os.environ, "PYTHONHASHSEED": hash_seed,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        procs.append(subprocess.Popen(
            [sys.executable, "-c", CHILD, mode, str(directory), str(DAYS), str(SEED),
             str(SCALE), END], env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    return out


def child(mode: str, directory: Path, hash_seed: str) -> dict[str, object]:
    """One CHILD run under PYTHONHASHSEED=`hash_seed`."""
    return children([(mode, directory, hash_seed)])[0]


def logged_events_digest(directory: Path) -> str:
    """The derived records of a generated log (topic, key, value), in produce order."""
    from backfill.runlog import read_log
    from events.topics import COMMANDS

    digest = hashlib.sha256()
    for record in read_log(directory):
        if record["topic"] != COMMANDS:
            digest.update(record["topic"].encode() + b"|" + record["key"].encode() + b"|"
                          + record["value"])
    return digest.hexdigest()


def test_generation_and_fold_give_the_same_bytes_under_different_hash_seeds(
        tmp_path: Path) -> None:
    print(f"business simulation, {DAYS} days at scale {SCALE:g}, seed {SEED}; "
          f"PYTHONHASHSEED {', '.join(HASH_SEEDS)}")
    first, second, refold = HASH_SEEDS
    a, b = children([("generate", tmp_path / "a", first), ("generate", tmp_path / "b", second)])
    assert a == b
    assert int(a["inputs"]) > 1000 and int(a["events"]) > 1000  # a history, not a stub
    log_a = (tmp_path / "a" / "log.avro").read_bytes()
    assert log_a == (tmp_path / "b" / "log.avro").read_bytes(), \
        f"the log differs between PYTHONHASHSEED={first} and {second}"

    # the inputs generated under one hash seed, folded under a third: the same events
    folded = child("fold", tmp_path / "a", refold)
    assert folded == {"events": a["events"], "derived": logged_events_digest(tmp_path / "a")}
