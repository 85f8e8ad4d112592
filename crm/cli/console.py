"""Where the commands print: results to stdout, refusals and progress to stderr."""

from rich.console import Console

console = Console()
err = Console(stderr=True)
