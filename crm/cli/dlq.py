"""`crm dlq list/redrive`: dead letters."""

from __future__ import annotations

from typing import Annotated

import typer

from crm.cli.console import console

app = typer.Typer(help="Dead letters: list them; re-drive them after a fix.",
                  no_args_is_help=True)


@app.command("list")
def dlq_list(
    limit: Annotated[int, typer.Option(help="Newest N dead letters")] = 50,
    source: Annotated[str | None, typer.Option(help="Only those from this topic")] = None,
) -> None:
    """Show dead letters: source topic/offset, reason, size."""
    from crm.bootstrap import bootstrap
    from operations.dead_letters import list_dead_letters, print_dead_letters

    s = bootstrap()
    print_dead_letters(console, list_dead_letters(s.bootstrap, s.kafka_extra, limit=limit,
                                                  source_topic=source))


@app.command("redrive")
def dlq_redrive(
    ref: Annotated[list[str] | None, typer.Option(
        "--ref", help="partition@offset of a dead letter (repeatable); default: all")] = None,
    source: Annotated[str | None, typer.Option(help="Only those from this topic")] = None,
    force: Annotated[bool, typer.Option(help="Send even those that still fail")] = False,
    dry_run: Annotated[bool, typer.Option(help="Only say what would be sent")] = False,
) -> None:
    """Re-publish dead letters' original bytes to their source topic (after a fix)."""
    from crm.bootstrap import bootstrap
    from operations.dead_letters import print_redrive, redrive
    from projectors.refusals import read_model_check

    s = bootstrap()
    print_redrive(console, redrive(s.bootstrap, s.kafka_extra, codec=s.codec, refs=ref,
                                   source_topic=source, force=force, dry_run=dry_run,
                                   check=read_model_check(s.engine)))
