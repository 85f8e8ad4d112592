"""The HTTP edge of the CRM: `create_app` builds it, `serve` runs it with uvicorn.

Writes go onto `crm.commands` exactly as every other producer's (the core's
MessageProducer and Avro codec, keyed by aggregate id); reads come from the read
tables. The server needs the stack (`crm up`); the live workers may run or not: without
them commands stay `pending` until they do.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import commands, dashboard, history, reads, store, trends
from api.access import is_loopback
from api.auth import KeyRing, parse_keys
from api.gateway import Gateway
from api.tracker import Tracker
from crm.bootstrap import Services
from domain.rules_config import DEFAULT_RULES
from operations.live_figures import LiveFigures, projected_offsets

log = logging.getLogger(__name__)
KEYS_VARIABLE = "CRM_API_KEYS"


def create_app(services: Services, keys: KeyRing, local_dashboard: bool = False) -> FastAPI:
    """The application on a running stack (its tables migrated, topics created).

    `local_dashboard`: the dashboard's reads answer local requests without a key
    (api/access.py); `serve` sets it when bound to a loopback address.
    """

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
        app.state.live = LiveFigures(services.bootstrap, engine, services.kafka_extra)
        app.openapi()  # built once here (every operation): /openapi.json then answers at once
        try:
            yield
        finally:
            app.state.gateway.close()
            app.state.live.close()
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
    # the trends' default quarter: the fiscal calendar the core runs with (no services:
    # an app without a stack, as the fast tests build, has the rules' default)
    app.state.fiscal = (DEFAULT_RULES if services is None else services.rules).fiscal
    app.state.local_dashboard = local_dashboard
    app.include_router(commands.router)
    app.include_router(trends.router)  # before reads: /v1/reports/{name} would match
    app.include_router(reads.router)
    app.include_router(history.router)
    dashboard.mount(app)  # the page at / and GET /v1/status
    return app


def keys_from_environment() -> KeyRing:
    """The API keys of CRM_API_KEYS (raises ValueError when absent or malformed)."""
    keys = parse_keys(os.environ.get(KEYS_VARIABLE))
    if not keys:
        raise ValueError(f"{KEYS_VARIABLE} is empty: set it to key:role:user[,...] "
                         "with roles writer and analyst (user: whose key it is)")
    return KeyRing(keys)


def serve(services: Services, keys: KeyRing, host: str, port: int,
          local_dashboard: bool = True) -> None:
    """Run the API until SIGINT/SIGTERM (uvicorn's access log shows paths, never keys).

    The dashboard opens without a key only when bound to loopback and `local_dashboard`.
    """
    import uvicorn

    services.init()
    app = create_app(services, keys, local_dashboard=local_dashboard and is_loopback(host))
    uvicorn.run(app, host=host, port=port, log_level="info")
