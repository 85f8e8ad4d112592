"""`crm serve`: the HTTP API and the analysts' dashboard."""

from __future__ import annotations

from typing import Annotated

import typer

from crm.cli.console import console, err


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8080,
    with_workers: Annotated[bool, typer.Option(
        "--workers", help="Also run the core and projector workers (crm run) meanwhile")
    ] = False,
    local_dashboard: Annotated[bool, typer.Option(
        help="On a loopback --host, local requests read the dashboard without a key")
    ] = True,
) -> None:
    """The HTTP API and the analysts' dashboard at / (docs/api.md).

    API keys come from CRM_API_KEYS=key:role:user[,key:role:user...] (roles writer and
    analyst; user: whose key it is, the actor of the commands it posts).
    """
    import contextlib

    from api.app import keys_from_environment
    from api.app import serve as run_server
    from crm.bootstrap import bootstrap
    from localstack.worker_processes import workers

    try:
        keys = keys_from_environment()
    except ValueError as exc:
        err.print(f"[red]cannot serve:[/] {exc}")
        raise typer.Exit(2) from None
    services = bootstrap()
    console.print(f"dashboard: [bold]http://{host}:{port}/[/]   API docs: /docs")
    with workers(services.settings) if with_workers else contextlib.nullcontext():
        run_server(services, keys, host, port, local_dashboard=local_dashboard)
