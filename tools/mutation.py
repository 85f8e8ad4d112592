"""Mutation testing of the rules in domain/ with mutmut 3, as `make mutation` runs it.

Usage (from the tool venv that `make mutation` creates, never the project's .venv):

    .mutation-venv/bin/python tools/mutation.py [--module domain/a.py ...] [--max-children 2]

mutmut's settings are in pyproject.toml ([tool.mutmut]). This script adds three things
plain `mutmut run` cannot do for this project:

- Mutate the rules themselves. mutmut 3 skips every decorated function, because a copy
  of a decorated function may run the decorator again; here the decorators only mark
  the function for the rulebook (`@handles`, `@evolves`, `@on_timer`, `@on_tick`,
  `@indexes`), so the trampoline keeps them and the original/mutant copies are written
  without them (`Rulebook.collect` takes every marked function a module defines: a copy
  that kept `@handles` would be collected as a second handler).
- Some modules only (`--module a.py b.py`): only those files are mutated, the rest is
  copied as is (one run: the test statistics are collected once for all of them).
- Globs in the test selection (tests/test_rules_*.py) are expanded, so a new rule test
  file is picked up without editing the configuration.

Every run starts from an empty mutants/ (results are not reused across code or test
changes), then prints the per-module report of tools/mutation_report.py.
"""

from __future__ import annotations

import argparse
import ast
import glob
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mutation_report import report  # tools/ is on sys.path when this runs as a script

ROOT = Path(__file__).resolve().parent.parent
# Decorators that only mark the function for the rulebook (domain/kernel/rulebook.py).
REGISTRATIONS = frozenset({"handles", "evolves", "on_timer", "on_tick", "indexes"})


def registration_only(function: Any) -> bool:
    """True if a libcst FunctionDef is decorated, and only by rule marks (kernel/rulebook)."""
    import libcst as cst

    if not function.decorators:
        return False
    for decorator in function.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        if not isinstance(expression, cst.Name) or expression.value not in REGISTRATIONS:
            return False
    return True


def patch_mutmut() -> None:
    """Let mutmut mutate registration-decorated functions (see the module docstring)."""
    import libcst as cst
    from libcst.metadata import PositionProvider
    from mutmut.mutation import file_mutation

    visitor = file_mutation.MutationVisitor
    skip = visitor._skip_node_and_children
    arrange = file_mutation.function_trampoline_arrangement

    def skip_node_and_children(self: Any, node: Any) -> bool:
        if isinstance(node, cst.FunctionDef) and registration_only(node):
            # still honour `# pragma: no mutate block` on the def line
            position = self.get_metadata(PositionProvider, node, None)
            if position and position.start.line in self._ignored_node_lines:
                self.ignored_functions.add(node.name.value)
                return True
            return False
        return skip(self, node)

    def function_trampoline_arrangement(function: Any, mutants: Any, class_name: str | None) -> Any:
        declarations, nodes, assignments, names = arrange(function, mutants, class_name)
        if registration_only(function):
            # nodes[0] is the trampoline (registered); the copies must not register again
            nodes = [nodes[0], *(node.with_changes(decorators=[]) for node in nodes[1:])]
        return declarations, nodes, assignments, names

    visitor._skip_node_and_children = skip_node_and_children  # type: ignore[method-assign]
    file_mutation.function_trampoline_arrangement = function_trampoline_arrangement


def expand_globs(arguments: Sequence[str]) -> list[str]:
    """pytest arguments with file globs expanded (sorted, so the selection is stable)."""
    out: list[str] = []
    for argument in arguments:
        if any(c in argument for c in "*?["):
            matches = sorted(glob.glob(argument))
            if not matches:
                raise SystemExit(f"mutation: no test file matches {argument!r}")
            out.extend(matches)
        else:
            out.append(argument)
    return out


def has_functions(path: Path) -> bool:
    """Does the module define any function (the only code mutmut mutates)?"""
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(tree))


def failing_tests(selection: Sequence[str], pytest_args: Sequence[str]) -> list[str]:
    """Node ids of the selected tests that fail on the unmutated code (run once, here).

    mutmut stops at the first failing test, and in a shared tree a rule another engineer
    is changing may have one: those tests are deselected (and named), not the run lost.
    """
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "--no-header", "-p", "no:randomly",
         *pytest_args, *selection],
        cwd=ROOT, capture_output=True, text=True, check=False)
    failing: list[str] = []
    for line in run.stdout.splitlines():
        if line.startswith(("FAILED ", "ERROR ")):
            failing.append(line.split(" ", 1)[1].split(" - ", 1)[0].strip())
    if run.returncode not in (0, 1) and not failing:
        raise SystemExit(f"mutation: the selected tests do not run:\n{run.stdout[-3000:]}")
    return failing


def main(argv: Sequence[str] | None = None) -> int:
    """Run mutmut over domain/ (or some modules of it) and print the per-module report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", nargs="+", default=[],
                        help="files to mutate, e.g. domain/leads/scoring.py (default: domain/)")
    parser.add_argument("--max-children", type=int, default=2,
                        help="parallel mutant workers (the machine is shared: 2 at most)")
    parser.add_argument("--diff", action="store_true", help="print each survivor's diff")
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    for module in args.module:
        if not Path(module).is_file():
            parser.error(f"{module} is not a file")
    modules = [module for module in args.module if has_functions(Path(module))]
    for module in sorted(set(args.module) - set(modules)):
        print(f"mutation: {module} has no functions (messages only): nothing to mutate")
    if args.module and not modules:
        return 0
    shutil.rmtree("mutants", ignore_errors=True)

    import mutmut.__main__ as mutmut_main  # sets the fork start method mutmut needs
    from mutmut.configuration import config

    patch_mutmut()
    settings = config()
    selection = expand_globs(settings.pytest_add_cli_args_test_selection)
    failing = failing_tests(selection, settings.pytest_add_cli_args)
    for node in failing:
        print(f"mutation: deselected, fails on the unmutated code: {node}")
        if "::" in node:  # a test
            settings.pytest_add_cli_args.extend(["--deselect", node])
        else:  # a file that does not even collect
            selection = [path for path in selection if path != node]
    settings.pytest_add_cli_args_test_selection = selection
    if modules:
        settings.only_mutate = modules
    try:
        mutmut_main._run([], args.max_children)
    except SystemExit as stop:  # mutmut exits on a failing clean run or missing tests
        if stop.code:
            return int(stop.code) if isinstance(stop.code, int) else 1
    sys.stdout.flush()
    return report(diff=args.diff)


if __name__ == "__main__":
    raise SystemExit(main())
