"""`crm kafka ...`: a local Apache Kafka cluster (KRaft) for tests, failover drills, benches."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from crm.config import load_settings
from localstack.kafka import assemble, cluster
from localstack.kafka.nodes import DEFAULT_HEAP

app = typer.Typer(
    help="A real Apache Kafka cluster on loopback, beside the embedded broker.\n\n"
    "`crm kafka up` assembles Apache Kafka from Maven Central (needs Java 17+ and Maven; "
    "the jars are downloaded once into ~/.m2), formats KRaft storage and starts N combined "
    "controller+broker nodes under CRM_HOME/kafka. Then point every `crm` command at it:\n\n"
    "    export CRM_KAFKA_BOOTSTRAP=$(crm kafka status --bootstrap)\n\n"
    "Without CRM_KAFKA_BOOTSTRAP `crm` keeps using the embedded broker (Tansu). "
    "See docs/kafka.md.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

BrokerId = Annotated[int, typer.Option("--broker", help="Node id (1..N, see `status`)")]


@app.command()
def up(
    brokers: Annotated[int, typer.Option(
        help="Nodes, each a KRaft controller and a broker; replication factor min(3, N), "
             "min.insync.replicas min(2, N)")] = 3,
    version: Annotated[str, typer.Option(
        envvar="CRM_KAFKA_VERSION",
        help=f"Apache Kafka 4.x.y release (tested: {', '.join(assemble.TESTED_VERSIONS)})"
    )] = assemble.DEFAULT_VERSION,
    heap: Annotated[str, typer.Option(
        help="Maximum JVM heap per node (-Xmx), fixed when the cluster is created")
    ] = DEFAULT_HEAP,
) -> None:
    """Assemble (first time only), format and start the cluster; print its bootstrap servers.

    Idempotent: nodes already running are left alone, stopped ones are started again
    with their data.
    """
    with _errors():
        found = cluster.up(load_settings(), brokers=brokers, version=version, heap=heap)
    count = len(found.nodes)
    console.print(f"[green]up[/]  Apache Kafka {found.version}, {count} "
                  f"broker{'s' if count != 1 else ''}, logs in {found.root / 'logs'}")
    console.print(f"export CRM_KAFKA_BOOTSTRAP={found.bootstrap}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable")] = False,
    bootstrap: Annotated[bool, typer.Option(
        "--bootstrap", help="Print only the bootstrap servers (for CRM_KAFKA_BOOTSTRAP)")] = False,
) -> None:
    """Show the cluster's brokers (id, pid or stopped, ports) and the active KRaft
    controller; exit 1 if there is no cluster."""
    found = cluster.load(load_settings())
    if found is None:
        if as_json:
            print(json.dumps({"bootstrap": None, "brokers": []}))
        else:
            err.print("no Kafka cluster here (start one with `crm kafka up`)")
        raise typer.Exit(1)
    shown = found.status()
    if as_json:
        print(json.dumps(shown))
        return
    if bootstrap:
        print(found.bootstrap)
        return
    table = Table("broker", "pid", "port", "controller port", "log",
                  title=f"Apache Kafka {found.version}: {found.bootstrap}",
                  caption="* the active KRaft controller")
    for b in shown["brokers"]:
        pid = str(b["pid"]) if b["alive"] else "[red]stopped[/]"
        active = " *" if b["id"] == shown["controller"] else ""
        table.add_row(f"{b['id']}{active}", pid, str(b["port"]), str(b["controller_port"]),
                      b["log"])
    console.print(table)


@app.command()
def stop(broker: BrokerId) -> None:
    """kill -9 one broker (no controlled shutdown): a crash, for failover drills."""
    with _errors():
        cluster.stop_broker(load_settings(), broker)
    console.print(f"[yellow]killed[/] broker {broker}")


@app.command()
def start(broker: BrokerId) -> None:
    """Start a stopped broker again (same id, ports and data); waits until it serves."""
    with _errors():
        cluster.start_broker(load_settings(), broker)
    console.print(f"[green]started[/] broker {broker}")


@app.command()
def down(
    wipe: Annotated[bool, typer.Option(help="Also delete the cluster's data and logs")] = False,
) -> None:
    """Stop every broker (controlled shutdown); the data stays for the next `up`."""
    with _errors():
        found = cluster.down(load_settings(), wipe=wipe)
    console.print("[green]down[/]" if found else "no Kafka cluster here")


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    """Turn the cluster's expected failures into a red line and exit code 2."""
    try:
        yield
    except (assemble.KafkaUnavailable, cluster.ClusterError) as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
