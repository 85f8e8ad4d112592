"""Shared by the HTTP API's and the dashboard's integration tests: a stack of their own
(a fresh database on the session's PostgreSQL, a broker of their own) and the server
running on it with uvicorn on a free port."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from support import create_database, drop_database, temp_home

import localstack
from api.app import create_app
from api.auth import KeyRing
from crm.bootstrap import Services
from crm.config import load_settings
from localstack import StackInfo

WRITER, ANALYST = "w-secret-1", "a-secret-2"
WRITER_USER = "asha.rao"  # whose writer key it is: the actor of the commands it posts


@dataclass
class Api:
    """The running server and a client per role."""

    base: str
    writer: httpx.Client
    analyst: httpx.Client
    anonymous: httpx.Client


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def own_stack(stack: StackInfo, prefix: str = "crm-api-") -> Iterator[Services]:
    """Services on a fresh database of the session's server and a broker of their own
    (CRM_HOME in a temporary directory), initialised; all removed afterwards."""
    url = create_database(stack.database_url)
    with temp_home(prefix) as home, pytest.MonkeyPatch.context() as env:
        env.setenv("CRM_HOME", str(home))
        env.setenv("CRM_DATABASE_URL", url)
        env.delenv("CRM_KAFKA_BOOTSTRAP", raising=False)
        settings = load_settings()
        services = Services(settings, localstack.up(settings))
        try:
            services.init()
            yield services
        finally:
            services.engine.dispose()
            localstack.down(settings)
            drop_database(url)


@contextlib.contextmanager
def serving(services: Services, local_dashboard: bool = False) -> Iterator[Api]:
    """`crm serve` in a thread on 127.0.0.1 (keys WRITER, of WRITER_USER, and ANALYST)
    until the end."""
    app = create_app(services, KeyRing({WRITER: ("writer", WRITER_USER),
                                        ANALYST: ("analyst", "bi-reader")}),
                     local_dashboard=local_dashboard)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    # a wait, not a timing check: the lifespan builds the OpenAPI document (~1 s of CPU),
    # which takes tens of seconds on a 2-core machine at a load average of 30
    deadline = time.monotonic() + 120
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"

    def client(key: str | None) -> httpx.Client:
        return httpx.Client(base_url=base, timeout=40,
                            headers={"X-API-Key": key} if key else {})

    try:
        yield Api(base, client(WRITER), client(ANALYST), client(None))
    finally:
        server.should_exit = True
        thread.join(15)
