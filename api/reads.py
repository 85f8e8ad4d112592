"""Routes that read: one record, filtered pages of records, and the seven seed reports.

Every query runs in a READ ONLY transaction on the read tables (never `crm_meta`), and
with the analysts' role (`crm_analyst`, SELECT on the read tables only) when the server's
database user may take it. Values keep their exactness: decimals as strings, dates and
timestamps as ISO 8601.

Each of them also answers `?as_of=T`: the same query on the read tables as they stood at
T, built backwards from field history like `crm report --as-of` (reports/asof.py), as the
server's own user (the temporary tables need TEMP). One record rebuilds only its own row;
a list rebuilds its table. A moment that is not one, or is later than now, is a 422 on
`as_of` before the database is asked; an as-of record omits `updated_at` (not tracked).

This module does not use postponed annotations: the list routes are built by a factory.
"""

import inspect
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import Table, select, text
from sqlalchemy.engine import Connection, Engine

from api.access import viewer
from api.auth import Principal, require
from projectors.db import ANALYST_ROLE
from projectors.history import UNTRACKED
from projectors.seed_queries import SEED_QUERIES
from projectors.tables import TABLES
from reports.asof import AsOfError, parse_moment, query_as_of, select_as_of

router = APIRouter(prefix="/v1")
Reader = Annotated[Principal, Depends(require())]
Viewer = Annotated[Principal, Depends(viewer)]  # a key, or local on a loopback server
# resource -> (table, filterable columns: the ones a UI lists by)
RESOURCES: dict[str, tuple[str, tuple[str, ...]]] = {
    "leads": ("leads", ("lead_status", "lead_source", "lead_grade", "assigned_to",
                        "country", "converted", "is_active")),
    "accounts": ("accounts", ("account_type", "account_tier", "relationship_status",
                              "account_owner", "churn_risk", "is_active")),
    "contacts": ("contacts", ("account_id", "contact_status", "contact_role", "is_primary")),
    "opportunities": ("opportunities", ("account_id", "stage", "opportunity_owner",
                                        "forecast_category", "win_loss_status", "is_closed")),
    "quotations": ("quotations", ("opportunity_id", "account_id", "quotation_status",
                                  "approval_status")),
    "cases": ("cases", ("account_id", "case_status", "priority", "assigned_to",
                        "sla_violated")),
    "contracts": ("contracts", ("account_id", "contract_status", "contract_type",
                                "contract_owner")),
}
MAX_PAGE = 500
TEXT = r"^[^\x00]*$"
"""The pattern of every text path or query parameter: PostgreSQL text cannot hold NUL, so
a NUL is refused as invalid input (422) by the contract, not left to fail in the query."""
AsOf = Annotated[str | None, Query(
    max_length=40, description="The answer from the read tables as they stood at this "
    "moment (UTC unless an offset is given; a bare date means the end of that day; not "
    "later than now)", examples=["2026-03-31", "2026-03-31T18:30:00+05:30"])]
ReportName = StrEnum("ReportName", {name: name for name in SEED_QUERIES})  # type: ignore[misc]


class Page(BaseModel):
    """A page of records in key order; pass `next_after` as `after` for the next one."""

    items: list[dict[str, Any]]
    next_after: str | None = Field(description="Key of the last item, when more may follow")


class Report(BaseModel):
    """A seed report's result, columns in the query's order."""

    name: str
    columns: list[str]
    rows: list[list[Any]]


def plain(value: Any) -> Any:
    """A JSON value that loses nothing: decimals as strings, dates as ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _record(row: Any, columns: Sequence[str]) -> dict[str, Any]:
    return {c: plain(row._mapping[c]) for c in columns}


def read(engine: Engine, use_role: bool, statement: Any,
         params: dict[str, Any] | None = None) -> tuple[list[str], list[Any]]:
    """Run one query read-only (as the analysts' role when allowed): (columns, rows)."""
    with engine.connect() as conn:
        _read_only(conn, use_role)
        result = conn.execute(statement, params or {})
        columns, rows = list(result.keys()), result.fetchall()
        conn.rollback()
    return columns, rows


def _read_only(conn: Connection, use_role: bool) -> None:
    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
    if use_role:
        conn.exec_driver_sql(f'SET LOCAL ROLE "{ANALYST_ROLE}"')


def can_use_analyst_role(engine: Engine) -> bool:
    """Whether the server's database user may SET ROLE to the analysts' role."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'SET LOCAL ROLE "{ANALYST_ROLE}"')
            conn.rollback()
        return True
    except Exception:  # no such role, or not a member: read as the server's own user
        return False


def moment(value: str | None, now: datetime | None = None) -> datetime | None:
    """The `as_of` parameter as naive UTC; a 422 on `as_of` when it is not a moment or is
    later than `now` (default: the clock; the tables cannot know what will be), without
    asking the database. A bare date is the end of that day, so today itself is allowed."""
    if value is None:
        return None
    try:
        at = parse_moment(value)
    except (AsOfError, OverflowError) as exc:  # OverflowError: year 1 with a +offset
        raise refused(str(exc)) from None
    now = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    if (at.date() > now.date()) if len(value.strip()) == 10 else at > now:
        raise refused(f"{value.strip()} is in the future (now is {now:%Y-%m-%dT%H:%M:%S} "
                      "UTC): the read tables cannot say what they will hold")
    return at


def refused(reason: str) -> RequestValidationError:
    """A 422 on the `as_of` parameter with `reason`, in FastAPI's own error shape."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", "as_of"), "msg": reason, "input": None}])


def _db(request: Request) -> tuple[Engine, bool]:
    return request.app.state.engine, request.app.state.analyst_role


def _read_table(request: Request, table: Table, statement: Any, at: datetime | None,
                record_id: str | None = None) -> tuple[list[str], list[Any]]:
    """Run a SELECT of `table` now, or on the table as it stood at `at`."""
    engine, role = _db(request)
    if at is None:
        return read(engine, role, statement)
    try:
        return select_as_of(engine, statement, at, table.name, record_id)
    except AsOfError as exc:  # what cannot be answered as of T is refused, not a 500
        raise refused(str(exc)) from None


def _resource_routes(resource: str, table: Table, filters: tuple[str, ...]) -> None:
    (key,) = [c.name for c in table.primary_key]
    columns = [c.name for c in table.columns if c.info.get("contract", True)]
    tracked = [c for c in columns if c not in UNTRACKED]  # what an as-of table has

    def get_one(request: Request, principal: Reader,
                record_id: Annotated[str, Path(max_length=50, pattern=TEXT)],
                as_of: AsOf = None) -> dict[str, Any]:
        at = moment(as_of)
        shown = columns if at is None else tracked
        names, rows = _read_table(request, table, select(*(table.c[c] for c in shown))
                                  .where(table.c[key] == record_id), at, record_id)
        if not rows:
            raise HTTPException(404, f"no {resource[:-1]} {record_id!r}" + (
                f" as of {as_of}" if at is not None else ""))
        return _record(rows[0], names)

    def list_page(request: Request, principal: Reader, **query: Any) -> Page:
        at = moment(query["as_of"])
        shown = columns if at is None else tracked
        statement = select(*(table.c[c] for c in shown)).order_by(table.c[key])
        for name in filters:
            if query.get(name) is not None:
                statement = statement.where(table.c[name] == query[name])
        if query["after"] is not None:
            statement = statement.where(table.c[key] > query["after"])
        names, rows = _read_table(request, table, statement.limit(query["limit"]), at)
        items = [_record(r, names) for r in rows]
        last = items[-1][key] if len(items) == query["limit"] else None
        return Page(items=items, next_after=last)

    params = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=Request),
              inspect.Parameter("principal", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                annotation=Reader)]
    for name in filters:
        python_type = table.c[name].type.python_type
        params.append(inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=None,
            annotation=Annotated[python_type | None, Query(
                max_length=table.c[name].type.length if python_type is str else None,
                pattern=TEXT if python_type is str else None)]))
    params.append(inspect.Parameter("after", inspect.Parameter.KEYWORD_ONLY, default=None,
                                    annotation=Annotated[str | None, Query(
                                        max_length=50, pattern=TEXT,
                                        description=f"Only {key} after this")]))
    params.append(inspect.Parameter("limit", inspect.Parameter.KEYWORD_ONLY, default=50,
                                    annotation=Annotated[int, Query(ge=1, le=MAX_PAGE)]))
    params.append(inspect.Parameter("as_of", inspect.Parameter.KEYWORD_ONLY, default=None,
                                    annotation=AsOf))
    list_page.__signature__ = inspect.Signature(params, return_annotation=Page)  # type: ignore[attr-defined]
    list_page.__doc__ = (f"{resource.capitalize()} in {key} order, filtered by equality; "
                         "with `as_of`, as the table stood then (without `updated_at`).")
    get_one.__doc__ = (f"One of the {resource} by {key}; with `as_of`, as it stood then "
                       "(without `updated_at`; 404 if it did not exist yet).")
    router.add_api_route(f"/{resource}", list_page, methods=["GET"], response_model=Page,
                         tags=["records"], operation_id=f"list_{resource}",
                         summary=f"List {resource}")
    router.add_api_route(f"/{resource}/{{record_id}}", get_one, methods=["GET"],
                         tags=["records"], operation_id=f"get_{resource}",
                         summary=f"One of the {resource}",
                         responses={404: {"description": "No such record"}})


for _resource, (_table, _filters) in RESOURCES.items():
    _resource_routes(_resource, TABLES[_table], _filters)


@router.get("/reports/{name}", response_model=Report, tags=["reports"])
def report(request: Request, principal: Viewer, name: ReportName, as_of: AsOf = None) -> Report:
    """One of the seven seed queries, run exactly as written (the dashboard's data: on a
    loopback server, local requests need no key); with `as_of`, on the read tables as they
    stood then (reports/asof.py: built from field history in the request's own session)."""
    at = moment(as_of)
    engine, role = _db(request)
    if at is None:
        columns, rows = read(engine, role, text(SEED_QUERIES[name.value]))
    else:
        try:  # as the server's user: the temporary tables need TEMP, the query is the seed's
            columns, rows = query_as_of(engine, SEED_QUERIES[name.value], at)
        except AsOfError as exc:  # what cannot be answered as of T is refused, not a 500
            raise refused(str(exc)) from None
    return Report(name=name.value, columns=columns, rows=[[plain(v) for v in r] for r in rows])
