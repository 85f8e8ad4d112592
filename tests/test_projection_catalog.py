"""The projection map is built from the explicit module list, never by importing a module.

Marking a function with `@projects` changes no global state; `collect` finds the marked
functions of the modules it is given, in the order given; the catalog's map covers every
event type some projection module marks, once each.
"""

from __future__ import annotations

import types

from domain.accounts.messages import AccountCreated, AccountUpdated
from domain.kernel.messages import Event
from projectors import catalog, projection
from projectors.projection import Upsert, collect, projects, writes_by_event


def _module(name: str) -> types.ModuleType:
    return types.ModuleType(name)


def test_marking_a_projection_registers_nothing_until_a_module_list_is_collected() -> None:
    before = dict(catalog.projections())
    module = _module("probe_projections")

    @projects(AccountCreated)
    def probe(event: Event) -> list[Upsert]:
        return []

    probe.__module__ = module.__name__
    module.probe = probe  # type: ignore[attr-defined]

    assert catalog.projections() == before
    assert probe not in catalog.projections()["AccountCreated"]
    assert collect([module]) == {"AccountCreated": (probe,)}
    assert not [name for name, value in vars(projection).items() if not name.startswith("__")
                and isinstance(value, dict | list)], "a registry in projectors.projection"


def test_collect_keeps_the_order_of_modules_and_ignores_functions_imported_from_elsewhere(
) -> None:
    first, second = _module("first"), _module("second")

    @projects(AccountCreated, AccountUpdated)
    def a(event: Event) -> list[Upsert]:
        return [Upsert("accounts", (("account_id", "A"),), {"n": "a"}, 1)]

    @projects(AccountCreated)
    def b(event: Event) -> list[Upsert]:
        return [Upsert("accounts", (("account_id", "A"),), {"n": "b"}, 1)]

    a.__module__, b.__module__ = "first", "second"
    first.a, second.b, second.a = a, b, a  # type: ignore[attr-defined]

    assert collect([second, first]) == {"AccountCreated": (b, a), "AccountUpdated": (a,)}
    event = AccountCreated.model_construct(event_type="AccountCreated")
    [(_, writes)] = writes_by_event([event], collect([first, second]))
    assert [w.values["n"] for w in writes] == ["a", "b"]


def test_the_catalog_projects_each_marked_event_type_of_its_modules_once() -> None:
    mapped = catalog.projections()
    marked = [(event_type, value) for module in catalog.MODULES
              for value in vars(module).values() if getattr(value, "__module__", "") ==
              module.__name__ for event_type in getattr(value, "__projects__", ())]
    assert len(mapped) > 80
    assert sorted(mapped) == sorted({event_type for event_type, _ in marked})
    assert all(len(fns) == 1 for fns in mapped.values())
