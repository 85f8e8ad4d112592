"""`updated`: a changed copy of one of the domain's frozen entity dataclasses.

`dataclasses.replace` runs the generated `__init__` with every field again, and the rules
call it on every state change, on the generator's critical path. Copying the instance
dict is several times cheaper (docs/benchmarks.md, item 12) and gives the same object for
our entities: plain frozen dataclasses, no `__post_init__`, no slots (a test holds
`updated` equal to `replace` for each of them).
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")
_FIELDS: dict[type, frozenset[str]] = {}


def updated(entity: T, **changes: Any) -> T:
    """`entity` with `changes` applied, like `dataclasses.replace`; the original is kept."""
    cls = type(entity)
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = frozenset(f.name for f in fields(cls))  # type: ignore[arg-type]
    if not changes.keys() <= names:
        unknown = ", ".join(sorted(changes.keys() - names))
        raise TypeError(f"{cls.__name__} has no field(s) {unknown}")
    copy = object.__new__(cls)
    state = copy.__dict__
    state.update(entity.__dict__)
    state.update(changes)
    return copy
