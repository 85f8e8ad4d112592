"""Every message type round-trips exactly through the Avro wire format (hypothesis).

Instances are generated from the pydantic field annotations themselves, so a message
type added by any area is covered without touching this file: strings up to their
max_length (unicode, quotes, SQL-like text), Literal choices, decimals at their
precision and scale, aware datetimes with microseconds, dates, optionals, lists, maps
and nested records.
"""

from __future__ import annotations

import enum
import types
import typing
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal, Union, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from domain.catalog import message_types
from domain.kernel.messages import EARLIEST_DAY, LATEST_DAY, DecimalSpec, Message
from events.codec import AvroCodec

TRICKY_TEXT = [
    "O'Brien & Sons", 'say "hello"', "'; DROP TABLE leads; --",
    "Robert'); DELETE FROM accounts WHERE ('1'='1", "%s %(name)s {0} $1 \\x00",
    "Ünïcødé ✓ 日本語 हिन्दी 🚀", "", "  padded  ", "line one\nline two\ttab", "NULL",
]
IST = timezone(timedelta(hours=5, minutes=30))
SKIPPED = {"event_type", "aggregate_type", "schema_version"}  # filled from the class
CODEC = AvroCodec()


def text(max_size: int | None, min_size: int = 0, pattern: str | None = None) -> Any:
    """Strings: arbitrary unicode (no lone surrogates: not UTF-8) or tricky samples."""
    if pattern is not None:
        return st.from_regex(pattern, fullmatch=True).filter(
            lambda s: min_size <= len(s) <= (max_size or len(s)))
    limit = 120 if max_size is None else max_size
    plain = st.text(st.characters(blacklist_categories=("Cs",)), min_size=min_size,
                    max_size=limit)
    tricky = st.sampled_from(TRICKY_TEXT).map(lambda s: s[:limit]).filter(
        lambda s: len(s) >= min_size)
    return st.one_of(plain, tricky)


def _bounds(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for m in metadata:
        for attr in ("ge", "gt", "le", "lt", "max_length", "min_length", "pattern",
                     "max_digits", "decimal_places"):
            if getattr(m, attr, None) is not None:
                found[attr] = getattr(m, attr)
        if isinstance(m, DecimalSpec):
            found["max_digits"], found["decimal_places"] = m.precision, m.scale
    return found


def _decimals(b: dict[str, Any]) -> Any:
    digits, places = b["max_digits"], b["decimal_places"]
    step = Decimal(1).scaleb(-places)
    top = Decimal(10) ** (digits - places) - step
    low = max(-top, Decimal(b.get("ge", -top)), Decimal(b.get("gt", -top - step)) + step)
    high = min(top, Decimal(b.get("le", top)), Decimal(b.get("lt", top + step)) - step)
    return st.decimals(min_value=low, max_value=high, places=places, allow_nan=False,
                       allow_infinity=False)


def _ints(b: dict[str, Any]) -> Any:
    low = max(-(2**63), b.get("ge", -(2**63)), b.get("gt", -(2**63) - 1) + 1)
    high = min(2**63 - 1, b.get("le", 2**63 - 1), b.get("lt", 2**63) - 1)
    return st.integers(min_value=low, max_value=high)


def for_type(annotation: Any, metadata: list[Any]) -> Any:
    """A strategy for one annotated type (constraints taken from its metadata)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        base, *extra = get_args(annotation)
        return for_type(base, [*metadata, *extra])
    if origin in (Union, types.UnionType):
        return st.one_of(*(st.none() if a is type(None) else for_type(a, metadata)
                           for a in get_args(annotation)))
    if origin is Literal:
        return st.sampled_from(get_args(annotation))
    b = _bounds(metadata)
    if origin in (list, tuple, set, frozenset):
        item = for_type(next(a for a in get_args(annotation) if a is not Ellipsis), [])
        return st.lists(item, min_size=b.get("min_length", 0),
                        max_size=min(3, b.get("max_length", 3))).map(origin)
    if origin is dict:
        return st.dictionaries(text(20), for_type(get_args(annotation)[1], []), max_size=3)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return st.sampled_from(list(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_strategy(annotation)
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return _ints(b)
    if annotation is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if annotation is str:
        return text(b.get("max_length"), b.get("min_length", 0), b.get("pattern"))
    if annotation is bytes:
        return st.binary(max_size=b.get("max_length", 64))
    if annotation is Decimal:
        return _decimals(b)
    if annotation is datetime:
        return st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31),
                            timezones=st.sampled_from([UTC, IST]))
    if annotation is date:
        return st.dates(min_value=EARLIEST_DAY, max_value=LATEST_DAY)  # the valid range
    raise TypeError(f"no strategy for {annotation!r}")


def for_field(info: FieldInfo) -> Any:
    """A strategy for one pydantic field."""
    return for_type(info.annotation, list(info.metadata))


def _build(cls: type[BaseModel], values: dict[str, Any]) -> BaseModel | None:
    try:
        return cls(**values)
    except ValidationError:  # a model validator refused the combination
        return None


def model_strategy(cls: type[BaseModel]) -> Any:
    """Valid instances of a pydantic model (messages: the envelope from the class)."""
    skipped = SKIPPED if issubclass(cls, Message) else set()
    fields = {n: for_field(i) for n, i in cls.model_fields.items() if n not in skipped}
    return st.fixed_dictionaries(fields).map(lambda v: _build(cls, v)).filter(
        lambda m: m is not None)


@pytest.mark.parametrize("name", sorted(message_types()))
def test_every_message_type_round_trips_exactly(name: str) -> None:
    cls = message_types()[name]

    @settings(max_examples=25, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(model_strategy(cls))
    def round_trip(message: Message) -> None:
        data = CODEC.encode(message)
        decoded = CODEC.decode(data)
        assert type(decoded) is cls
        assert decoded == message
        assert decoded.model_dump() == message.model_dump()
        assert CODEC.encode(decoded) == data

    round_trip()


def test_tricky_text_round_trips_verbatim() -> None:
    from domain.kernel.system import CommandRejected

    for sample in TRICKY_TEXT:
        message = CommandRejected(event_id="e", aggregate_id="a", occurred_at=datetime.now(UTC),
                                  command_id=sample or "x", command_type="T", reason=sample)
        assert CODEC.decode(CODEC.encode(message)).reason == sample
