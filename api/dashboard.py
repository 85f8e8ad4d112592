"""The analysts' dashboard at `/`: one static page of our own (HTML, CSS, a small script)
and Chart.js, vendored under api/static/ (no CDN, no build step: it works offline).

The page holds no data: it reads the seven reports from `GET /v1/reports/{name}` and the
live figures from `GET /v1/status`, with a key or, on a loopback server, without one
(api/access.py says who may).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from confluent_kafka import KafkaException
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError

from api.access import viewer
from api.auth import Principal
from operations.live_figures import LiveFigures

STATIC = Path(__file__).with_name("static")
# the page loads only its own files; Chart.js draws on canvas and needs nothing else
POLICY = ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
Viewer = Annotated[Principal, Depends(viewer)]

router = APIRouter()


class LiveStatus(BaseModel):
    """Live figures of the pipeline (operations/live_figures.py), as `crm status` shows them."""

    at: float = Field(description="When sampled, seconds since the epoch (UTC)")
    events: int = Field(description="Records on the event topics")
    events_per_s: float | None = Field(
        description="Events appended per second over the last minute of samples; null "
        "until two samples a second apart exist")
    commands: int = Field(description="Records on crm.commands")
    core_lag: int = Field(description="Commands the core has not folded yet")
    projector_lag: int = Field(description="Events not yet in the read tables")
    dead_letters: int = Field(description="Records on crm.dead-letter")


@router.get("/", include_in_schema=False)
def page() -> FileResponse:
    """The dashboard (no data in it: anyone may load the page itself)."""
    return FileResponse(STATIC / "index.html", headers={
        "Content-Security-Policy": POLICY, "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})


@router.get("/v1/status", response_model=LiveStatus, tags=["status"],
            responses={503: {"description": "The broker or the database did not answer"}})
def live_status(request: Request, principal: Viewer) -> LiveStatus:
    """Events per second, core and projector lag, dead letters (sampled at most every
    2 s however many dashboards poll)."""
    figures: LiveFigures = request.app.state.live
    try:
        return LiveStatus(**figures.read().as_dict())
    except (KafkaException, SQLAlchemyError) as exc:  # a server down: say so, not 500
        raise HTTPException(503, f"live figures unavailable: {type(exc).__name__}") from exc


def mount(app: FastAPI) -> None:
    """Add the page, its static files and /v1/status to the application."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
