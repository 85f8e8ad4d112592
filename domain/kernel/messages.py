"""Messages: the envelope every command and event shares, and the field types they use.

Events are facts (past tense); commands are requests that a rule may refuse (imperative).
Both are immutable pydantic models so they round-trip exactly through Avro: money is
`Decimal` with a declared precision, timestamps are timezone-aware UTC, dates are dates.
Nothing here knows about Avro or Kafka; `events/` maps these models to schemas."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from types import ModuleType
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)


@dataclass(frozen=True)
class DecimalSpec:
    """Precision and scale of a money or quantity field (mirrors DECIMAL(p,s))."""

    precision: int
    scale: int

    def __call__(self, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        # Checked before quantize: quantizing a huge value (1e30) raises InvalidOperation,
        # which pydantic would not report as a validation error.
        if value and value.adjusted() >= self.precision - self.scale:
            raise ValueError(f"{value} exceeds DECIMAL({self.precision},{self.scale})")
        quantized = value.quantize(_quantum(self.scale))
        if quantized != value:
            raise ValueError(f"{value} has more than {self.scale} decimal places")
        if len(quantized.as_tuple().digits) > self.precision:
            raise ValueError(f"{value} exceeds DECIMAL({self.precision},{self.scale})")
        return quantized


def money(value: Decimal | int | str, scale: int = 2) -> Decimal:
    """Round half-up to `scale` places: the one rounding rule for computed amounts."""
    return Decimal(value).quantize(_quantum(scale), rounding=ROUND_HALF_UP)


_QUANTA: dict[int, Decimal] = {}


def _quantum(scale: int) -> Decimal:
    """`Decimal(1).scaleb(-scale)` (0.01 for 2), made once per scale: every money field
    of every message the generator makes is quantized to one."""
    quantum = _QUANTA.get(scale)
    if quantum is None:
        quantum = _QUANTA[scale] = Decimal(1).scaleb(-scale)
    return quantum


# The days a message may name: Salesforce's valid range for dates. Rules add and subtract
# durations (SLA clocks, renewals, fiscal periods), which near year 1 or 9999 raised
# OverflowError in the core: a poison input instead of a refusal (fuzz/command_validation).
EARLIEST_DAY = date(1700, 1, 1)
LATEST_DAY = date(4000, 12, 31)
_EARLIEST = datetime(1700, 1, 1, tzinfo=UTC)
_AFTER_LATEST = datetime(4001, 1, 1, tzinfo=UTC)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware (UTC)")
    # compared before astimezone, which overflows for 0001-01-01 east of UTC
    if not _EARLIEST <= value < _AFTER_LATEST:
        raise ValueError(f"{value.isoformat()} is outside {EARLIEST_DAY} to {LATEST_DAY}")
    # Avro timestamp-micros keeps microseconds only; normalise so round-trips are exact.
    return value.astimezone(UTC)


def _day(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"{value.isoformat()} is outside {EARLIEST_DAY} to {LATEST_DAY}")
    return value


Money = Annotated[Decimal, DecimalSpec(15, 2), AfterValidator(DecimalSpec(15, 2))]
BigMoney = Annotated[Decimal, DecimalSpec(18, 2), AfterValidator(DecimalSpec(18, 2))]
Percent = Annotated[Decimal, DecimalSpec(5, 2), AfterValidator(DecimalSpec(5, 2))]
WidePercent = Annotated[Decimal, DecimalSpec(8, 2), AfterValidator(DecimalSpec(8, 2))]
Quantity = Annotated[Decimal, DecimalSpec(15, 4), AfterValidator(DecimalSpec(15, 4))]
UnitPrice = Annotated[Decimal, DecimalSpec(12, 4), AfterValidator(DecimalSpec(12, 4))]
Timestamp = Annotated[datetime, AfterValidator(_utc)]
Date = Annotated[date, AfterValidator(_day)]


def Text(max_length: int | None = None, description: str = "") -> Any:  # noqa: N802
    """A required string field limited like the read-model column it lands in."""
    return Field(max_length=max_length, description=description)


def Opt(max_length: int | None = None, description: str = "") -> Any:  # noqa: N802
    """An optional field (default None), strings limited like their column."""
    return Field(default=None, max_length=max_length, description=description)


def Doc(description: str, **constraints: Any) -> Any:  # noqa: N802
    """A required non-string field with its meaning (and e.g. ge/le bounds)."""
    return Field(description=description, **constraints)


class Message(BaseModel):
    """The common envelope (design.md principle 1).

    `aggregate_type`, `event_type` and `schema_version` come from the class; subclasses add
    their payload fields. For commands `event_id` is the command's id. `actor` (optional,
    added after the first release: old messages read as None) is set by whoever submits a
    command and copied by the core onto every event the command derives.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=False)

    AGGREGATE: ClassVar[str] = ""
    SCHEMA_VERSION: ClassVar[int] = 1
    KIND: ClassVar[str] = "message"

    event_id: str = Field(max_length=64, description="Unique id; derived, never random")
    event_type: str = Field(default="", description="Record name of this message")
    aggregate_type: str = Field(default="", description="lead, account, opportunity, ...")
    aggregate_id: str = Field(max_length=50, description="Key on Kafka; id of the aggregate")
    aggregate_version: int = Field(default=0, ge=0, description="Version after this event")
    occurred_at: Timestamp = Field(description="Event time (business time), UTC")
    causation_id: str | None = Field(default=None, description="Message that caused this")
    correlation_id: str | None = Field(default=None, description="Root of the causal chain")
    schema_version: int = Field(default=0, description="Version of this record's schema")
    producer: str = Field(default="crm-core", max_length=50, description="Who wrote it")
    actor: str | None = Field(
        default=None, max_length=50,
        description="Who asked for it: the person or system principal that submitted the "
                    "command (an API key's user, a simulated rep or contact, `system` for "
                    "the clock); an event carries its command's actor")

    @field_validator("event_type")
    @classmethod
    def _own_type(cls, value: str) -> str:
        # The engine dispatches on event_type: bytes of one type claiming another would
        # reach the other's rule (found by fuzzing: fuzz/command_validation).
        if value and value != cls.__name__:
            raise ValueError(f"{value[:100]!r} is not {cls.__name__}")
        return value

    @field_validator("aggregate_type")
    @classmethod
    def _own_aggregate(cls, value: str) -> str:
        if value and value != cls.AGGREGATE:
            raise ValueError(f"{value[:100]!r} is not {cls.AGGREGATE!r}")
        return value

    def model_post_init(self, __context: Any) -> None:
        # Fill the class-derived envelope fields so callers never have to repeat them.
        # (written to the instance dict, which is what object.__setattr__ did: this runs
        # for every message the generator makes, on the backfill's critical path)
        fields, cls = self.__dict__, type(self)
        if not fields["event_type"]:
            fields["event_type"] = cls.__name__
        if not fields["aggregate_type"]:
            fields["aggregate_type"] = cls.AGGREGATE
        if not fields["schema_version"]:
            fields["schema_version"] = cls.SCHEMA_VERSION

    def payload(self) -> dict[str, Any]:
        """The fields beyond the envelope."""
        return {k: v for k, v in self.__dict__.items() if k not in ENVELOPE_FIELDS}


ENVELOPE_FIELDS = frozenset(Message.model_fields)


class Event(Message):
    """A fact that happened; past tense."""

    KIND: ClassVar[str] = "event"


INTEGER_RANGE = (-(2**31), 2**31 - 1)
"""What a PostgreSQL `integer` column (every whole-number column of the read model) holds."""


class Command(Message):
    """A request from outside the core; imperative; may be rejected.

    Commands are the edge: a value the read model could not store is refused here, with
    its reason, rather than accepted and left to stall a projector. Text lengths,
    decimal precision and enumerations are declared per field; for every command at
    once, whole numbers are checked against the `integer` range and text for NUL
    characters (PostgreSQL text cannot hold them; any other character is stored as is).
    """

    KIND: ClassVar[str] = "command"

    @model_validator(mode="after")
    def _fits_the_read_model(self) -> Command:
        low, high = INTEGER_RANGE
        for name, value in self.__dict__.items():
            if type(value) is int and name not in ENVELOPE_FIELDS and not low <= value <= high:
                raise ValueError(f"{name} = {value} is outside what the read model stores "
                                 f"(integer, {low}..{high})")
            if type(value) is str and "\x00" in value:
                raise ValueError(f"{name} contains a NUL character (\\x00), which the read "
                                 "model's text columns cannot store")
        return self


def defined_in(modules: Iterable[ModuleType]) -> dict[str, type[Message]]:
    """The concrete message classes these modules define, by event_type, sorted by name.

    Concrete means with an aggregate; a class a module only imports is its owner's.
    """
    found: dict[str, type[Message]] = {}
    for module in modules:
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Message) and value.AGGREGATE
                    and value.__module__ == module.__name__):
                found[value.__name__] = value
    return dict(sorted(found.items()))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC timestamp; convenience for tests and simulators."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
