"""What the harnesses share: their corpus folders and running one under atheris.

A harness is a module with `check(data: bytes) -> None`, which calls the real code and
raises only when the edge breaks its contract (an exception of an unexpected type, or an
assertion about the result). `check` imports the code under test lazily (`targets()`), so
that `fuzz()` can import it under atheris' instrumentation, and the seed test
(tests/test_fuzz_harnesses.py) can run `check` without atheris at all.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "fuzz" / "corpus"  # committed: a few real messages + every finding, per harness
WORK = ROOT / ".fuzz"  # not committed: the growing corpus and new findings
# Our packages are instrumented for coverage; fastavro and pydantic-core are compiled and
# cannot be, so their behaviour is reached through our own branches on their results.
INSTRUMENTED = ["events", "domain", "processors", "producers", "operations.dead_letters"]


def seed_inputs(harness: str) -> list[tuple[str, bytes]]:
    """The committed corpus of a harness: (file name, bytes), in name order."""
    folder = SEEDS / harness
    return [(p.name, p.read_bytes()) for p in sorted(folder.iterdir()) if p.is_file()]


def fuzz(harness: str, check: Callable[[bytes], None], prepare: Callable[[], object],
         values: bool = False) -> None:
    """Run `check` under libFuzzer (argv: libFuzzer's flags, e.g. -max_total_time=60).

    The corpus grows in .fuzz/corpus/<harness> (seeded from fuzz/corpus/<harness> and
    from `python -m fuzz.seeds`); a crashing input is written to .fuzz/findings/<harness>/.
    `values`: half the mutations put hostile values into well-formed Avro (fuzz/_values.py).
    """
    import atheris

    with atheris.instrument_imports(include=INSTRUMENTED):
        prepare()  # imports the code under test, instrumented
    mutator = None
    if values:
        from events.codec import BuiltinSchemaIds
        from fuzz._values import mutate

        ids = BuiltinSchemaIds()

        def mutator(data: bytes, max_size: int, seed: int) -> bytes:
            return mutate(data, max_size, seed, ids.schema_for)

    grown = WORK / "corpus" / harness
    findings = WORK / "findings" / harness
    grown.mkdir(parents=True, exist_ok=True)
    findings.mkdir(parents=True, exist_ok=True)
    argv = [sys.argv[0], f"-artifact_prefix={findings}/", *sys.argv[1:], str(grown),
            str(SEEDS / harness)]
    atheris.Setup(argv, check, custom_mutator=mutator)
    atheris.Fuzz()
