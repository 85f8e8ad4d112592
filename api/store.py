"""The API's own bookkeeping: one row per command it accepted, in schema `crm_api`.

Not CRM data and not a read table (never rebuilt, counted or checksummed): it remembers
idempotency keys and what became of each command (filled in by `api.tracker`). The
server creates it on start (`ensure`), so no migration of the read model is involved.
Rows live for the retention (`CRM_API_RETENTION_DAYS`, default 7): the tracker prunes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.engine import Engine

from api.completion import Outcome

SCHEMA = "crm_api"
metadata = MetaData(schema=SCHEMA)

commands = Table(
    "commands", metadata,
    Column("command_id", String(64), primary_key=True),
    Column("command_type", String(100), nullable=False),
    Column("aggregate_id", String(50), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("command", Text(), nullable=False),  # the command as JSON, to send it again
    Column("sent", Boolean(), nullable=False, server_default=text("false")),
    Column("status", String(16), nullable=False, server_default=text("'pending'")),
    Column("reason", Text()),
    Column("event_ids", JSONB(), nullable=False, server_default=text("'[]'::jsonb")),
    # {"topic/partition": last offset of a derived event}: read-your-writes compares these
    # with the projector's committed offsets
    Column("positions", JSONB(), nullable=False, server_default=text("'{}'::jsonb")),
    Column("submitted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("decided_at", DateTime(timezone=True)),
)


@dataclass
class CommandRecord:
    """One row of `crm_api.commands`."""

    command_id: str
    command_type: str
    aggregate_id: str
    request_hash: str
    command: str
    sent: bool = False
    status: str = "pending"
    reason: str | None = None
    event_ids: list[str] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    submitted_at: datetime | None = None


def ensure(engine: Engine) -> None:
    """Create the schema and table when missing (idempotent)."""
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        metadata.create_all(conn)
        # the tracker's hourly prune deletes by submission time
        conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS commands_submitted_at "
                             f"ON {SCHEMA}.commands (submitted_at)")


def claim(engine: Engine, record: CommandRecord) -> tuple[CommandRecord, bool]:
    """Insert the record unless its command id exists; (the stored row, inserted?)."""
    values = {k: v for k, v in record.__dict__.items()
              if k in ("command_id", "command_type", "aggregate_id", "request_hash", "command")}
    with engine.begin() as conn:
        inserted = conn.execute(insert(commands).values(**values)
                                .on_conflict_do_nothing().returning(commands.c.command_id))
        was_new = inserted.first() is not None
    stored = get(engine, record.command_id)
    assert stored is not None  # just inserted, or there already
    return stored, was_new


def mark_sent(engine: Engine, command_id: str) -> None:
    """The broker acknowledged the command."""
    with engine.begin() as conn:
        conn.execute(update(commands).where(commands.c.command_id == command_id)
                     .values(sent=True))


def forget(engine: Engine, command_id: str) -> None:
    """Drop a claim whose command could not be sent (the client may retry)."""
    with engine.begin() as conn:
        conn.execute(commands.delete().where(commands.c.command_id == command_id,
                                             commands.c.sent.is_(False)))


def get(engine: Engine, command_id: str) -> CommandRecord | None:
    """The row of a command accepted by the API, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(commands).where(commands.c.command_id == command_id)).first()
    if row is None:
        return None
    data: dict[str, Any] = dict(row._mapping)
    data.pop("decided_at")
    return CommandRecord(**data)


def pending_since(engine: Engine) -> tuple[list[tuple[str, str]], datetime | None]:
    """(command id, aggregate id) of the commands with no outcome yet, and the oldest
    submission among them."""
    with engine.connect() as conn:
        rows = conn.execute(select(commands.c.command_id, commands.c.aggregate_id,
                                   commands.c.submitted_at)
                            .where(commands.c.status == "pending")).all()
    return [(r[0], r[1]) for r in rows], min((r[2] for r in rows), default=None)


def record_outcome(engine: Engine, outcome: Outcome) -> None:
    """Write a command's complete outcome (once: a decided row is left as it is)."""
    with engine.begin() as conn:
        conn.execute(update(commands).where(commands.c.command_id == outcome.command_id)
                     .where(commands.c.status == "pending")
                     .values(status=outcome.status, reason=outcome.reason,
                             event_ids=outcome.event_ids, positions=outcome.positions,
                             decided_at=func.now()))


def prune(engine: Engine, submitted_before: datetime) -> int:
    """Delete the rows of commands submitted before this time (decided or not); how many.

    Their idempotency keys are forgotten with them: a retry after the retention is a
    new command."""
    with engine.begin() as conn:
        result = conn.execute(commands.delete()
                              .where(commands.c.submitted_at < submitted_before))
    return int(result.rowcount or 0)
