"""`python -m crm.cli ...`, as the `crm` script (the workers are started this way)."""

from crm.cli import app

app()
