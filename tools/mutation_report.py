"""Per-module summary of the last mutation run (mutmut's mutants/*.meta files).

    .mutation-venv/bin/python tools/mutation_report.py [--diff] [--markdown]

Prints, per mutated module: mutants, killed, survived, timeouts, kill rate, then each
surviving mutant (with its diff when `--diff` is given: mutmut must be importable).
The kill rate counts a timeout as a kill (the tests noticed: they did not finish) and
a mutant no selected test runs as a survivor.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"

# mutmut 3's exit codes (mutmut.stats.status_by_exit_code), folded into our categories.
KILLED_CODES = {1, 3}
SURVIVED_CODES = {0}
NO_TESTS_CODES = {5, 33}
TIMEOUT_CODES = {36, 24, -24, 152, 255, -9}  # -9: SIGKILL after the CPU limit
SKIPPED_CODES = {34}


@dataclass
class ModuleResult:
    """What happened to the mutants of one source file."""

    module: str
    killed: int = 0
    timeout: int = 0
    survived: list[str] = field(default_factory=list)
    no_tests: list[str] = field(default_factory=list)
    suspicious: list[str] = field(default_factory=list)
    not_checked: int = 0
    skipped: int = 0

    @property
    def total(self) -> int:
        """Mutants that were tested (not skipped, not left unchecked by an interrupted run)."""
        return (self.killed + self.timeout + len(self.survived) + len(self.no_tests)
                + len(self.suspicious))

    @property
    def kill_rate(self) -> float:
        """Killed or timed out, as a share of the tested mutants (1.0 when there are none)."""
        return (self.killed + self.timeout) / self.total if self.total else 1.0

    def survivors(self) -> list[str]:
        """Every mutant no test caught, sorted by name."""
        return sorted(self.survived + self.no_tests + self.suspicious)


def load(mutants: Path = MUTANTS) -> list[ModuleResult]:
    """One result per mutated module found under `mutants`, sorted by path."""
    results: list[ModuleResult] = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        if not codes:
            continue
        result = ModuleResult(str(meta.relative_to(mutants))[: -len(".meta")])
        for name, code in codes.items():
            if code is None:
                result.not_checked += 1
            elif code in KILLED_CODES:
                result.killed += 1
            elif code in TIMEOUT_CODES:
                result.timeout += 1
            elif code in SURVIVED_CODES:
                result.survived.append(name)
            elif code in NO_TESTS_CODES:
                result.no_tests.append(name)
            elif code in SKIPPED_CODES:
                result.skipped += 1
            else:
                result.suspicious.append(name)
        results.append(result)
    return results


def diff_of(name: str) -> str:
    """The mutant's diff against the original function, as `mutmut show` prints it."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return get_diff_for_mutant(name)


def report(diff: bool = False, markdown: bool = False, out: object = sys.stdout) -> int:
    """Print the summary; 0 if there were results to report, 1 if none."""
    results = load()
    if not results:
        print("no mutation results: run `make mutation` first", file=out)  # type: ignore[call-overload]
        return 1

    def write(line: str = "") -> None:
        print(line, file=out)  # type: ignore[call-overload]

    if markdown:
        write("| module | mutants | killed | timeout | survived | no test | kill rate |")
        write("|---|---:|---:|---:|---:|---:|---:|")
        for r in results:
            write(f"| {r.module} | {r.total} | {r.killed} | {r.timeout} | {len(r.survived)}"
                  f" | {len(r.no_tests)} | {r.kill_rate:.1%} |")
    else:
        write()
        write(f"{'module':<32} {'mutants':>7} {'killed':>6} {'timeout':>7} {'survived':>8}"
              f" {'no test':>7} {'kill rate':>9}")
        for r in results:
            write(f"{r.module:<32} {r.total:>7} {r.killed:>6} {r.timeout:>7}"
                  f" {len(r.survived):>8} {len(r.no_tests):>7} {r.kill_rate:>9.1%}")
        unchecked = sum(r.not_checked for r in results)
        if unchecked:
            write(f"\n{unchecked} mutants were not checked (interrupted run)")
    for r in results:
        survivors = r.survivors()
        if not survivors:
            continue
        write(f"\nsurvivors in {r.module} ({len(survivors)}):")
        for name in survivors:
            kind = "no test" if name in r.no_tests else (
                "suspicious" if name in r.suspicious else "survived")
            write(f"  {name}  [{kind}]")
            if diff:
                write("    " + diff_of(name).replace("\n", "\n    "))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--diff", action="store_true", help="print each survivor's diff")
    parser.add_argument("--markdown", action="store_true", help="the table for docs/testing.md")
    args = parser.parse_args(argv)
    import os

    os.chdir(ROOT)  # mutmut reads mutants/ relative to the working directory
    return report(diff=args.diff, markdown=args.markdown)


if __name__ == "__main__":
    raise SystemExit(main())
