"""The shape of `domain/`: its import graph has no cycle and it imports no adapter.

Read from the source with `ast`, so an import inside a function counts like one at the
top: a function-level import that closes a circle only hides it until the function runs.
The domain is pure: decide, evolve and the messages; Kafka, Avro, the database, the
composition root and the runtimes depend on it, never the other way round.
"""

from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "domain"
FORBIDDEN = frozenset({
    "kafka", "faust", "sqlalchemy", "fastavro", "confluent_kafka",  # libraries of the edges
    "crm", "events", "projectors", "processors", "producers",  # the layers that use domain
    "api", "backfill", "localstack", "operations", "reports", "simulators", "bench",
    "archive", "kafka_client",
})


def module_name(path: Path) -> str:
    """`domain/cases/rules.py` -> `domain.cases.rules` (a package is its `__init__`)."""
    parts = list(path.relative_to(DOMAIN.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    """Every module of domain/, by dotted name."""
    return {module_name(path): path for path in sorted(DOMAIN.rglob("*.py"))}


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of the nodes inside `if TYPE_CHECKING:` blocks (never run, so never a cycle)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    return skipped


def imported(name: str, path: Path) -> set[str]:
    """Every module an import statement anywhere in the module names (absolute names).

    Imports inside functions count; those under `if TYPE_CHECKING:` do not (they are
    never executed: annotations only).
    """
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    skipped = _type_checking_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def graph() -> dict[str, set[str]]:
    """domain module -> the domain modules it imports (with the packages they sit in)."""
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        targets: set[str] = set()
        for target in imported(name, path):
            parts = target.split(".")
            # importing a.b.c runs the packages a.b and a first
            targets.update(".".join(parts[:n]) for n in range(2, len(parts) + 1))
        edges[name] = {t for t in targets if t in known and t != name}
    return edges


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path (first module repeated at the end), or []."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(edges):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_the_domain_import_graph_has_no_cycle_counting_imports_inside_functions() -> None:
    found = cycle(graph())
    assert not found, "import cycle in domain/: " + " -> ".join(found)


def test_the_cycle_finder_sees_a_cycle_and_the_graph_sees_function_level_imports(
        tmp_path: Path) -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []
    module = tmp_path / "m.py"
    module.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from domain import typed_only\n"
                      "def late() -> None:\n    from domain import kernel_probe\n")
    found = imported("domain.m", module)
    assert "domain.kernel_probe" in found and "domain.typed_only" not in found


def test_the_domain_imports_no_adapter_runtime_or_composition_module() -> None:
    offending = sorted(
        f"{name} imports {target}"
        for name, path in modules().items()
        for target in imported(name, path)
        if target.split(".")[0] in FORBIDDEN)
    assert offending == []
