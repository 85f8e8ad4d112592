"""What the codec (events/codec.py) makes of a decoded record besides validating it: the
error it raises for bytes that are not a message we know, and the message of a record of
our own log built without pydantic's second pass (`AvroCodec.decode_trusted`)."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel

from domain.kernel.messages import Message


class DecodeError(ValueError):
    """Bytes that are not a message we know; `reason` goes to the dead-letter topic."""

    @property
    def reason(self) -> str:
        """The one-line reason recorded with the dead letter."""
        return str(self)


def holds_model(annotation: Any) -> bool:
    """Does a field type contain a pydantic model anywhere (nested record, list of them)?"""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(holds_model(arg) for arg in get_args(annotation))


_set = object.__setattr__


def trusted(cls: type[Message], record: dict[str, Any]) -> Message:
    """The message of a decoded record, as validation would build it from our own bytes:
    the class-derived envelope fields filled or checked (bytes of one type claiming
    another must not reach the other's projection), the record itself as its fields."""
    name = cls.__name__
    for field, own in (("event_type", name), ("aggregate_type", cls.AGGREGATE)):
        if record[field] and record[field] != own:
            raise DecodeError(f"{name} breaks its contract: {field}: "
                              f"{str(record[field])[:100]!r} is not {own!r}")
        record[field] = own
    record["schema_version"] = cls.SCHEMA_VERSION
    message = cls.__new__(cls)
    _set(message, "__dict__", record)
    _set(message, "__pydantic_fields_set__", set(record))
    _set(message, "__pydantic_extra__", None)
    _set(message, "__pydantic_private__", None)
    return message
