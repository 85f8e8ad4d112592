"""The HTTP edge of the CRM: `create_app` builds it, `serve` runs it with uvicorn.

Writes go onto `crm.commands` exactly as every other producer's (the core's
MessageProducer and Avro codec, keyed by aggregate id); reads come from the read
tables. The server needs the stack (`crm up`); the live workers may run or not: without
them commands stay `pending` until they do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Engine

from crm.api import commands, reads, store
from crm.api.auth import KeyRing, parse_keys
from crm.api.gateway import Gateway
from crm.api.tracker import Tracker
from crm.bootstrap import Services
from projectors.runner import GROUP as PROJECTOR_GROUP

log = logging.getLogger(__name__)
KEYS_VARIABLE = "CRM_API_KEYS"


def projected_offsets(engine: Engine) -> Callable[[], dict[str, int]]:
    """A function returning the projector's committed next offset per "topic/partition"."""
    query = text("SELECT topic, partition, next_offset FROM crm_meta.projector_offsets "
                 "WHERE consumer_group = :group")

    def read() -> dict[str, int]:
        with engine.connect() as conn:
            rows = conn.execute(query, {"group": PROJECTOR_GROUP}).all()
        return {f"{topic}/{partition}": offset for topic, partition, offset in rows}

    return read


def create_app(services: Services, keys: KeyRing) -> FastAPI:
    """The application on a running stack (its tables migrated, topics created)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = services.engine
        store.ensure(engine)
        tracker = Tracker(engine, services.bootstrap, services.codec, services.kafka_extra)
        tracker.start()
        app.state.gateway = Gateway(engine, services.producer(), tracker)
        app.state.engine = engine
        app.state.analyst_role = reads.can_use_analyst_role(engine)
        app.state.projected = projected_offsets(engine)
        app.openapi()  # built once here (82 operations): /openapi.json then answers at once
        try:
            yield
        finally:
            app.state.gateway.close()
            tracker.stop()

    app = FastAPI(
        title="GenIMS CRM API",
        version="1",
        summary="Commands in (onto crm.commands), read tables out.",
        description="Every command of the contract is `POST /v1/commands/{CommandType}`; "
        "the outcome is at the returned `status_url`. Authenticate with `X-API-Key` "
        "(roles: writer, analyst). See docs/api.md.",
        lifespan=lifespan,
    )
    app.state.keys = keys
    app.include_router(commands.router)
    app.include_router(reads.router)
    return app


def keys_from_environment() -> KeyRing:
    """The API keys of CRM_API_KEYS (raises ValueError when absent or malformed)."""
    keys = parse_keys(os.environ.get(KEYS_VARIABLE))
    if not keys:
        raise ValueError(f"{KEYS_VARIABLE} is empty: set it to key:role[,key:role...] "
                         "with roles writer and analyst")
    return KeyRing(keys)


def serve(services: Services, keys: KeyRing, host: str, port: int) -> None:
    """Run the API until SIGINT/SIGTERM (uvicorn's access log shows paths, never keys)."""
    import uvicorn

    services.init()
    uvicorn.run(create_app(services, keys), host=host, port=port, log_level="info")
