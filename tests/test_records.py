"""`updated` gives what `dataclasses.replace` gives, for every entity of the domain."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

import domain
from domain.kernel import records
from domain.kernel.records import updated


def _entities() -> list[type]:
    found: dict[str, type] = {}
    for info in pkgutil.walk_packages(domain.__path__, "domain."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if dataclasses.is_dataclass(value) and isinstance(value, type) \
                    and value.__module__ == module.__name__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


ENTITIES = _entities()
VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.tuples(st.integers()))


def _instance(cls: type, value: object) -> object:
    return cls(**{f.name: value for f in dataclasses.fields(cls) if f.init})


def test_the_domain_has_entities_to_check() -> None:
    assert len(ENTITIES) > 20


@pytest.mark.parametrize("cls", ENTITIES, ids=lambda c: c.__qualname__)
@given(before=VALUES, after=VALUES, data=st.data())
def test_an_updated_entity_equals_the_replaced_one_and_leaves_the_original(
        cls: type, before: object, after: object, data: st.DataObject) -> None:
    entity = _instance(cls, before)
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    changed = data.draw(st.lists(st.sampled_from(names), unique=True, max_size=3))
    changes = {name: after for name in changed}
    copy = updated(entity, **changes)
    expected = dataclasses.replace(entity, **changes)
    assert copy == expected and type(copy) is cls
    assert vars(copy) == vars(expected)
    assert entity == _instance(cls, before)


def test_updating_a_field_an_entity_does_not_have_is_refused_like_replace() -> None:
    cls = ENTITIES[0]
    entity = _instance(cls, None)
    with pytest.raises(TypeError, match="no_such_field"):
        updated(entity, no_such_field=1)
    with pytest.raises(TypeError):
        dataclasses.replace(entity, no_such_field=1)


@dataclasses.dataclass(frozen=True)
class _Fresh:
    """A class `updated` has not seen before this module's tests (its field cache is cold)."""

    a: int
    b: str = "x"


def test_updated_works_on_a_class_it_sees_for_the_first_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # An empty field cache: mutation testing forks from a process whose cache already
    # knows every class, so without this the first-sight path would never run there.
    cache: dict[type, frozenset[str]] = {}
    monkeypatch.setattr(records, "_FIELDS", cache)
    assert updated(_Fresh(1), b="y") == _Fresh(1, "y")
    assert cache == {_Fresh: frozenset({"a", "b"})}
    assert updated(_Fresh(2), a=3) == _Fresh(3)


def test_the_refusal_names_every_unknown_field_in_order() -> None:
    with pytest.raises(TypeError) as refused:
        updated(_Fresh(1), zeta=1, alpha=2, b="ok")
    assert str(refused.value) == "_Fresh has no field(s) alpha, zeta"


def test_updated_reads_a_classs_fields_once_then_uses_its_cache(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The cache is the point of `updated` (a quarter of `replace`'s cost per state change).
    calls: list[type] = []

    def counting_fields(cls: type) -> tuple[dataclasses.Field, ...]:  # type: ignore[type-arg]
        calls.append(cls)
        return dataclasses.fields(cls)

    monkeypatch.setattr(records, "_FIELDS", {})
    monkeypatch.setattr(records, "fields", counting_fields)
    updated(_Fresh(1), b="y")
    updated(_Fresh(2), a=5)
    assert calls == [_Fresh]
