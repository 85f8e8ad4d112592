"""Routes that write: `POST /v1/commands/{CommandType}`, `POST /v1/leads`, and the status
of an accepted command, `GET /v1/commands/{id}` (`?wait=` for read-your-writes).

This module does not use postponed annotations: each command's route is made by a
factory whose body type must be a real class when FastAPI reads the signature.
"""

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from api import store
from api.auth import WRITER, Principal, require
from api.bodies import body_model, command_types, lead_form_model
from api.gateway import Gateway, KeyReused, NotSent
from api.reads import TEXT
from domain.kernel.messages import Command
from domain.leads.messages import CaptureLead

router = APIRouter(prefix="/v1")
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=200,
    description="Retry-safe: the same key (per API key) always names the same command")]
MAX_WAIT = 30.0
DECIDED_UNSEEN = ("rejected", "dead_lettered")  # final, with nothing to become visible
POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: {"description": "The Idempotency-Key was used for a different request"},
    503: {"description": "The broker did not acknowledge; retry with the same key"},
}


class AcceptedOut(BaseModel):
    """202: the command is on the log; its outcome is at `status_url`."""

    command_id: str
    aggregate_id: str = Field(description="The aggregate addressed (new ids made up here)")
    status_url: str


class CommandStatus(BaseModel):
    """What became of a command accepted by this API."""

    command_id: str
    command_type: str
    aggregate_id: str
    status: Literal["pending", "applied", "rejected", "dead_lettered"]
    reason: str | None = Field(description="Why the rules refused it (rejected), or why "
                               "the core could not use it (dead_lettered)")
    event_ids: list[str] = Field(description="Every event it derived (applied only: an "
                                 "outcome is written once complete)")
    visible: bool = Field(description="All its derived events are in the read tables")


def _gateway(request: Request) -> Gateway:
    return request.app.state.gateway


def _accept(request: Request, response: Response, cls: type[Command], body: BaseModel,
            principal: Principal, key: str | None) -> AcceptedOut:
    try:
        accepted = _gateway(request).submit(cls, body, principal.fingerprint, key,
                                            principal.actor)
    except ValidationError as exc:  # model-level checks of the command itself
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        ) from None
    except KeyReused as exc:
        raise HTTPException(409, [{"type": "idempotency_key_reused", "msg": str(exc),
                                   "loc": ["header", "Idempotency-Key"]}]) from None
    except NotSent as exc:
        raise HTTPException(503, f"the broker did not acknowledge the command: {exc}; "
                                 "retry with the same Idempotency-Key") from None
    url = str(request.url_for("command_status", command_id=accepted.command_id).path)
    response.headers["Location"] = url
    if accepted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return AcceptedOut(command_id=accepted.command_id, aggregate_id=accepted.aggregate_id,
                       status_url=url)


def _command_route(cls: type[Command]) -> None:
    body_type = body_model(cls)

    def post_command(request: Request, response: Response, body: body_type,  # type: ignore[valid-type]
                     principal: Annotated[Principal, Depends(require(WRITER))],
                     idempotency_key: IdempotencyKey = None) -> AcceptedOut:
        return _accept(request, response, cls, body, principal, idempotency_key)

    post_command.__doc__ = cls.__doc__
    router.add_api_route(f"/commands/{cls.__name__}", post_command, methods=["POST"],
                         status_code=202, response_model=AcceptedOut, tags=["commands"],
                         summary=cls.__name__, operation_id=f"post_{cls.__name__}",
                         responses=POST_RESPONSES)


for _cls in command_types().values():
    _command_route(_cls)

LeadForm = lead_form_model()


@router.post("/leads", status_code=202, response_model=AcceptedOut, tags=["commands"],
             summary="Capture a lead from a web form", responses=POST_RESPONSES)
def post_lead(request: Request, response: Response, body: LeadForm,  # type: ignore[valid-type]
              principal: Annotated[Principal, Depends(require(WRITER))],
              idempotency_key: IdempotencyKey = None) -> AcceptedOut:
    """The web-form shortcut for CaptureLead (created_by defaults to `web-form`)."""
    data: dict[str, Any] = body.model_dump()  # type: ignore[attr-defined]
    data["created_by"] = data.get("created_by") or "web-form"
    capture = body_model(CaptureLead).model_validate(data)
    return _accept(request, response, CaptureLead, capture, principal, idempotency_key)


@router.get("/commands/{command_id}", response_model=CommandStatus, tags=["commands"],
            name="command_status", responses={404: {"description": "Unknown command"}})
def command_status(
    request: Request, command_id: Annotated[str, Path(max_length=64, pattern=TEXT)],
    principal: Annotated[Principal, Depends(require())],
    wait: Annotated[float, Query(ge=0, le=MAX_WAIT, description=(
        "Seconds to wait until the command is rejected, or applied and visible in the "
        "read tables (read-your-writes)"))] = 0,
) -> CommandStatus:
    """pending, applied (with every derived event id), rejected (with the rules'
    reason) or dead_lettered (the core could not use it; the dead letter's reason).

    `applied` is written by the tracker only once the core has finished the command and
    every derived event was read (api/completion.py), so `visible` covers them all.
    """
    engine = _gateway(request).engine
    deadline = time.monotonic() + wait
    while True:
        record = store.get(engine, command_id)
        if record is None:
            raise HTTPException(404, "no command with this id was accepted by this API")
        visible = record.status == "applied" and _visible(request, record.positions)
        if record.status in DECIDED_UNSEEN or visible or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    return CommandStatus(command_id=record.command_id, command_type=record.command_type,
                         aggregate_id=record.aggregate_id, status=record.status,  # type: ignore[arg-type]
                         reason=record.reason, event_ids=record.event_ids, visible=visible)


def _visible(request: Request, positions: dict[str, int]) -> bool:
    """Every derived event is below the projector's committed offset of its partition."""
    committed = request.app.state.projected()
    return all(committed.get(tp, 0) > offset for tp, offset in positions.items())
