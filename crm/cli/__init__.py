"""The `crm` command line: the local stack, the pipeline and the read model.

Run `crm --help` for the list; every command explains itself with `--help`. Each group of
commands is a module of this package; the app is put together here, command by command
(nothing registers itself by being imported). The commands import what they drive when
they run, so `crm --help` starts no stack and loads no pipeline.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from crm.cli import bench, dlq, kafka, pipeline, reads, schemas, serve, stack

app = typer.Typer(
    help="GenIMS CRM core: event-sourced CRM on Kafka with PostgreSQL read tables.\n\n"
    "With no configuration everything runs on an embedded PostgreSQL and an embedded "
    "Kafka-protocol broker under CRM_HOME (./.crm). Set CRM_DATABASE_URL and/or "
    "CRM_KAFKA_BOOTSTRAP to use real servers instead.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logs")] = False):
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


# In the order `crm --help` lists them.
for command in (stack.up, stack.down, stack.status, stack.init, stack.run, pipeline.demo,
                reads.sql, pipeline.backfill, schemas.schemas, pipeline.simulate, serve.serve):
    app.command()(command)
app.add_typer(dlq.app, name="dlq")
app.add_typer(kafka.app, name="kafka")
app.command()(reads.history)
for command in (bench.bench, reads.report, reads.checksum, pipeline.rebuild):
    app.command()(command)
