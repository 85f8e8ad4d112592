"""The live bench's probe (bench/arrivals.py): when it says a record arrived."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.arrivals import Arrivals, receive, stages
from events.topics import COMMANDS


@dataclass
class _Record:
    topic_: str
    key_: bytes | None
    failed: bool = False

    def topic(self) -> str:
        return self.topic_

    def key(self) -> bytes | None:
        return self.key_

    def error(self) -> object:
        return "broken" if self.failed else None


@dataclass
class _Fetched:
    """A consumer whose records are already fetched: `consume` hands out up to
    `num_messages` of them and notes how long each call was allowed to wait."""

    queued: list[_Record]
    calls: list[tuple[int, float]] = field(default_factory=list)

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[_Record]:
        self.calls.append((num_messages, timeout))
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        return taken


def test_the_probe_waits_only_for_the_first_record_and_drains_the_rest_without_waiting() -> None:
    fetched = _Fetched([_Record(COMMANDS, b"LIVE-P-%d" % i) for i in range(5)])
    _, msgs = receive(fetched, wait_s=0.05)
    assert len(msgs) == 5
    # Asking for many records with a timeout returns only when the timeout passes: the
    # count asked for while waiting must be one, and the drain must not wait at all.
    assert fetched.calls[0] == (1, 0.05)
    assert fetched.calls[1][1] == 0


def test_the_probe_does_not_drain_when_nothing_arrived() -> None:
    fetched = _Fetched([])
    _, msgs = receive(fetched, wait_s=0.01)
    assert msgs == []
    assert fetched.calls == [(1, 0.01)]


def test_a_command_keeps_its_first_sighting_and_a_lead_its_last_event() -> None:
    arrivals = Arrivals("unused:1", "LIVE-P-")
    arrivals.record(1.0, [_Record(COMMANDS, b"LIVE-P-1"), _Record("crm.leads", b"LIVE-P-1")])
    arrivals.record(2.0, [_Record(COMMANDS, b"LIVE-P-1"), _Record("crm.leads", b"LIVE-P-1"),
                          _Record(COMMANDS, b"LIVE-W-9"), _Record(COMMANDS, None),
                          _Record("crm.leads", b"LIVE-P-2", failed=True)])
    assert arrivals.commands == {"LIVE-P-1": 1.0}
    assert arrivals.events == {"LIVE-P-1": 2.0}


def test_the_stages_of_a_command_add_up_to_its_whole_latency() -> None:
    arrivals = Arrivals("unused:1", "LIVE-P-")
    arrivals.record(10.010, [_Record(COMMANDS, b"LIVE-P-1")])
    arrivals.record(10.050, [_Record("crm.leads", b"LIVE-P-1")])
    out = stages({"LIVE-P-1": 10.0}, arrivals, {"LIVE-P-1": 10.040}, {"LIVE-P-1": 10.080})
    assert {k: round(out[k]["p50"]) for k in ("to_log", "core", "core_send", "projector")} \
        == {"to_log": 10, "core": 30, "core_send": 10, "projector": 30}
    assert out["timed"] == {"commands": 1.0}
