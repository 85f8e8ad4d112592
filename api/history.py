"""A record's field history over HTTP (issue 19).

`GET /v1/{resource}/{record_id}/history` answers what `crm history RECORD_ID --format
json` prints, from the same query (reports/history.py), read-only and as the analysts'
role like every other read. The reports' `as_of` (the other half of time travel) is
in api/reads.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from pydantic import BaseModel, Field
from sqlalchemy import text

from api.reads import RESOURCES, TEXT, Reader, plain, read
from reports.history import QUERY

router = APIRouter(prefix="/v1")


class Change(BaseModel):
    """One changed column of one row, caused by one event (crm_history.field_history)."""

    changed_at: str = Field(description="Event time, ISO 8601 (UTC)")
    event_type: str
    table_name: str
    record_id: str = Field(description="The changed row (the record, or a row its events "
                                       "write: a quote's lines, a deal's products)")
    column_name: str = Field(description="A column, or (created) / (deleted)")
    old_value: str | None
    new_value: str | None
    command_id: str | None
    actor: str | None
    event_id: str


def _history_route(resource: str, table: str) -> None:
    def history(request: Request, principal: Reader,
                record_id: Annotated[str, Path(max_length=50, pattern=TEXT)],
                ) -> list[dict[str, Any]]:
        state = request.app.state
        names, rows = read(state.engine, state.analyst_role, text(QUERY), {"r": record_id})
        changes = [{n: plain(v) for n, v in zip(names, row, strict=True)} for row in rows]
        # the query also finds rows by aggregate: the id must be a record of this resource
        if not any(c["table_name"] == table and c["record_id"] == record_id
                   for c in changes):
            raise HTTPException(404, f"no history of {resource[:-1]} {record_id!r} (no "
                                     f"such record, or field history was off)")
        return changes

    history.__doc__ = (f"Every change of one of the {resource} and of the rows its events "
                       "wrote, in order (what `crm history ID --format json` prints).")
    router.add_api_route(f"/{resource}/{{record_id}}/history", history, methods=["GET"],
                         response_model=list[Change], tags=["history"],
                         operation_id=f"history_of_{resource}",
                         summary=f"History of one of the {resource}",
                         responses={404: {"description": "No history of such a record"}})


for _resource, (_table, _) in RESOURCES.items():
    _history_route(_resource, _table)
