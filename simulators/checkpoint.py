"""A simulated world, paused: the simulation, the state of the core it learns from, the clock.

A backfill leaves one at the end of its history (`<run>/checkpoint.pkl`); `crm simulate`
resumes from its own (`CRM_HOME/simulation/checkpoint.pkl`) or else from the newest
backfill's, and checkpoints as it goes. Both continue the same world, so the format lives
with the simulations rather than with either of them.
"""

from __future__ import annotations

import pickle
from datetime import datetime
from pathlib import Path
from typing import Any


def save_checkpoint(path: Path, sim: Any, state: Any, clock: datetime) -> None:
    """Pickle the simulation, the core's state and the clock (atomic replace).

    Local state of our own making, read back only by `crm simulate` on this machine.
    """
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump({"simulation": sim, "state": state, "clock": clock}, fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    """What `save_checkpoint` wrote."""
    with path.open("rb") as fh:
        return pickle.load(fh)  # noqa: S301  (our own file under CRM_HOME)
