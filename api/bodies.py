"""Request bodies: each command's own fields, taken from the domain's pydantic model.

A body is the command without the envelope the server fills in (command id, type,
version, producer, causation, and the actor: the authenticated key's user): the same
field types, lengths, enumerations and bounds the core validates, so the OpenAPI
contract and the rules can never disagree. Model-level checks (e.g. integers that fit
the read model) run when the command itself is built.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Any, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic.fields import FieldInfo

from domain.catalog import message_types
from domain.kernel.messages import ENVELOPE_FIELDS, Command, DecimalSpec, Timestamp
from domain.leads.messages import CaptureLead

# Inputs that are not for outside callers: the clock is the scheduler's alone.
INTERNAL_COMMANDS = frozenset({"TickClock"})
# Envelope fields a caller may set; the rest the server fills in.
CALLER_ENVELOPE = ("aggregate_id", "correlation_id", "occurred_at")
# Short aggregate-id prefixes for ids the server makes up (leads as the simulator does).
ID_PREFIX = {"lead": "LD", "account": "ACC", "contact": "CON", "opportunity": "OPP",
             "quote": "QT", "case": "CASE", "contract": "CTR", "campaign": "CMP",
             "activity": "ACT", "task": "TSK", "note": "NOTE", "interaction": "INT"}
# The web form's required fields (CaptureLead itself requires only two of them).
FORM_REQUIRED = ("company_name", "contact_first_name", "contact_last_name", "email",
                 "country", "lead_source")
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    aggregate_id: str | None = Field(
        default=None, min_length=1, max_length=50,
        description="The aggregate addressed; omitted: a new id is made from the command id")
    correlation_id: str | None = Field(default=None, max_length=64,
                                       description="Root of the causal chain, if any")
    occurred_at: Timestamp | None = Field(
        default=None, description="Business time, timezone-aware; omitted: now (UTC)")


def command_types() -> dict[str, type[Command]]:
    """The commands callers may post, by name."""
    return {name: cls for name, cls in message_types().items()
            if issubclass(cls, Command) and name not in INTERNAL_COMMANDS}


@cache
def body_model(cls: type[Command]) -> type[BaseModel]:
    """The request body of a command: its payload fields plus the caller's envelope."""
    fields: dict[str, Any] = {}
    for name, info in cls.model_fields.items():
        if name in ENVELOPE_FIELDS:
            continue
        spec = _decimal_spec(info)
        annotation: Any = info.annotation
        if spec is not None:  # say in the schema what DecimalSpec will check
            info = FieldInfo.merge_field_infos(info, json_schema_extra=_decimal_schema(spec))
            annotation = Annotated[annotation, BeforeValidator(_within(spec))]
        fields[name] = (annotation, info)
    return create_model(f"{cls.__name__}Body", __base__=_Body, __doc__=cls.__doc__,
                        **fields)


@cache
def lead_form_model() -> type[BaseModel]:
    """The web form: CaptureLead's body with name, e-mail, country and source required."""
    base = body_model(CaptureLead)
    lengths = {"company_name": 200, "contact_first_name": 100, "contact_last_name": 100,
               "country": 50}
    overrides: dict[str, Any] = {
        name: (str, Field(min_length=1, max_length=length)) for name, length in lengths.items()
    }
    overrides["email"] = (str, Field(max_length=100, pattern=EMAIL_PATTERN))
    overrides["lead_source"] = (CaptureLead.model_fields["lead_source"].annotation, Field())
    return create_model("LeadForm", __base__=base,
                        __doc__="A web-form lead: CaptureLead with the contact required.",
                        **overrides)


def _decimal_spec(info: FieldInfo) -> DecimalSpec | None:
    """The DecimalSpec of a field, also inside an Optional[Annotated[...]]."""
    found = [m for m in info.metadata if isinstance(m, DecimalSpec)]
    for arg in get_args(info.annotation):
        found += [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, DecimalSpec)]
    return found[0] if found else None


def _within(spec: DecimalSpec) -> Callable[[Any], Any]:
    """Refuse a number too large for DECIMAL(p,s) before DecimalSpec sees it (beyond 28
    digits its quantize raises decimal.InvalidOperation, not a validation error)."""
    limit = Decimal(10) ** (spec.precision - spec.scale)

    def check(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            return value
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return value  # not a number: pydantic says so
        if number.is_finite() and abs(number) >= limit:
            raise ValueError(f"{value} exceeds DECIMAL({spec.precision},{spec.scale})")
        return value

    return check


def _decimal_schema(spec: DecimalSpec) -> Callable[[dict[str, Any]], None]:
    """Adds DECIMAL(p,s)'s limits to the number and string forms of a decimal field."""
    whole = spec.precision - spec.scale
    pattern = rf"^-?\d{{1,{whole}}}(\.\d{{1,{spec.scale}}})?$" if spec.scale else \
        rf"^-?\d{{1,{whole}}}$"
    limit = float(10**whole - 1)

    def extra(schema: dict[str, Any]) -> None:
        for alternative in schema.get("anyOf", []):
            if alternative.get("type") == "string":
                alternative["pattern"] = pattern
            elif alternative.get("type") == "number":
                alternative.setdefault("maximum", limit)
                alternative.setdefault("minimum", -limit)
            extra(alternative)

    return extra


def new_aggregate_id(cls: type[Command], command_id: str) -> str:
    """An id for an aggregate the caller did not name, derived from the command id."""
    prefix = ID_PREFIX.get(cls.AGGREGATE, cls.AGGREGATE.upper())
    return f"{prefix}-{command_id.replace('-', '')[:18]}"


def command_from(cls: type[Command], body: BaseModel, command_id: str,
                 now: datetime, actor: str | None = None) -> Command:
    """Build the command submitted by `actor` (the caller's user; raises pydantic's
    ValidationError on model-level checks)."""
    data = body.model_dump(exclude_none=False)
    occurred_at = data.pop("occurred_at", None) or now
    aggregate_id = data.pop("aggregate_id", None) or new_aggregate_id(cls, command_id)
    return cls.model_validate({**data, "event_id": command_id, "aggregate_id": aggregate_id,
                               "occurred_at": occurred_at, "producer": "api",
                               "actor": actor})
