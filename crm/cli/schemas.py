"""`crm schemas`: the Avro contracts."""

from __future__ import annotations

from typing import Annotated

import typer

from crm.cli.console import console, err


def schemas(
    write: Annotated[bool, typer.Option("--write", help="Regenerate .avsc files + docs")] = False,
    check: Annotated[bool, typer.Option("--check", help="BACKWARD-compatibility check")] = False,
    release: Annotated[bool, typer.Option("--release", help="Snapshot as released")] = False,
) -> None:
    """The Avro contracts: regenerate them, check compatibility, release a version."""
    from events.avro import release_schemas
    from events.catalog import write_all
    from events.compat import check_all

    if write:
        console.print(f"wrote {len(write_all())} files (events/schemas, docs/events.md)")
    if release:
        console.print(f"released {len(release_schemas() or [])} new schema versions")
    if check or not (write or release):
        problems = check_all()
        for problem in problems:
            err.print(f"[red]incompatible:[/] {problem}")
        if problems:
            raise typer.Exit(1)
        console.print("[green]all schemas are BACKWARD compatible[/] with released and "
                      "previously committed versions")
