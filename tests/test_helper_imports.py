"""The backfill's publisher and archiver processes import no domain module.

Each spawned helper imports its own module; the domain (pydantic models of every message,
the codec, the composition root) was seconds of a helper's CPU that the publisher and the
archiver never used (docs/benchmarks.md, backfill item 23). Checked in a fresh
interpreter, as a spawned helper starts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules
                        if m.split('.')[0] in ('domain', 'pydantic', 'crm', 'typer'))))
"""


@pytest.mark.parametrize("module", ["backfill.publisher_process", "archive.log",
                                    "backfill.followers"])
def test_a_light_helper_module_imports_neither_the_domain_nor_pydantic_nor_the_cli(
        module: str) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, module], cwd=ROOT, check=True,
                         capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
