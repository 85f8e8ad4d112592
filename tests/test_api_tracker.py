"""The API tracker's completion logic, fed by a fake log (no broker, no database).

The events of one command reach the tracker at different times; a status must not say
`applied` (nor list the event ids) until the core has finished the command and every
derived event was read. These tests deliver records one by one in the order a slow
partition would, and look at what the tracker writes to `crm_api.commands`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api import store, tracker
from api.bodies import body_model, command_from
from api.completion import Outcome
from api.tracker import EVENT_PARTS, Tracker, retention_from_environment
from domain.leads.messages import AssignLead, CaptureLead
from events.topics import COMMANDS
from processors.core import CoreProcessor
from producers.partitioner import partition_for

FORM = {"company_name": "Shakti Forgings", "contact_first_name": "Asha",
        "contact_last_name": "Iyer", "email": "asha@shakti.example", "country": "India",
        "lead_source": "website", "created_by": "web-form"}
AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass
class Record:
    """What the tracker reads of a Kafka message."""

    _topic: str
    _partition: int
    _offset: int
    _key: bytes
    _value: bytes

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes:
        return self._key

    def value(self) -> bytes:
        return self._value

    def error(self) -> None:
        return None


class FakeLog:
    """Partitions as lists; the core's committed offset on crm.commands."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, int], list[Record]] = {}
        self.committed = 0

    def append(self, topic: str, key: str, value: bytes) -> Record:
        partition = 0 if topic == COMMANDS else partition_for(topic, key)
        log = self.records.setdefault((topic, partition), [])
        record = Record(topic, partition, len(log), key.encode(), value)
        log.append(record)
        return record

    def ends(self) -> dict[tuple[str, int], int]:
        return {tp: len(self.records.get(tp, [])) for tp in EVENT_PARTS}


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Outcome]]:
    """The outcomes the tracker writes, by command id (instead of the database)."""
    found: dict[str, Outcome] = {}
    monkeypatch.setattr(store, "record_outcome",
                        lambda _engine, outcome: found.setdefault(outcome.command_id, outcome))
    yield found


def _tracker() -> Tracker:
    """A tracker assigned at the start of an empty log (as `_start_offsets` does)."""
    tracking = Tracker(None, "unused:9092", CoreProcessor().codec,  # type: ignore[arg-type]
                       retention=timedelta(days=7))
    for part in [*EVENT_PARTS, (COMMANDS, 0)]:
        tracking._completion.consumed(part, 0)
    return tracking


def _deliver(tracking: Tracker, log: FakeLog, *records: Record,
             letters: dict[int, str] | None = None) -> list[list[int]]:
    """One consume batch, then the settling step of the tracker's loop; `letters` is the
    dead-letter topic (crm.commands offset -> reason). Returns each question asked of it."""
    asked: list[list[int]] = []

    def dead_letters(offsets: Any) -> dict[int, str]:
        asked.append(sorted(offsets))
        return {o: r for o, r in (letters or {}).items() if o in offsets}

    tracking._take_new()
    for record in records:
        tracking._read(record)  # type: ignore[arg-type]
    tracking._settle(lambda: log.committed, log.ends, dead_letters)
    return asked


def _send(core: CoreProcessor, log: FakeLog, command: Any) -> tuple[Record, list[Record]]:
    """The command onto crm.commands and its derived events onto their topics (not yet
    read by the tracker)."""
    sent = log.append(COMMANDS, command.aggregate_id, core.codec.encode(command))
    events = [log.append(out.topic, out.key, out.value)
              for out in (core.encode(e) for e in core.process(command))]
    return sent, events


def _capture(command_id: str, **changes: str) -> CaptureLead:
    body = body_model(CaptureLead).model_validate({**FORM, **changes})
    return command_from(CaptureLead, body, command_id, AT)  # type: ignore[return-value]


def test_a_command_stays_pending_until_its_second_event_is_read(
        written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    command = _capture("cmd-1")
    tracking.watch("cmd-1", command.aggregate_id)
    sent, (captured, scored) = _send(core, log, command)
    _deliver(tracking, log, sent, captured)  # the core has not committed yet
    assert written == {}
    log.committed = 1  # done: both events are on crm.leads, only the first was read
    _deliver(tracking, log)
    assert written == {}  # the old tracker said applied here, with 1 of 2 event ids
    _deliver(tracking, log, scored)
    outcome = written["cmd-1"]
    names = [type(core.codec.decode(r.value())).__name__ for r in (captured, scored)]
    assert names == ["LeadCaptured", "LeadScored"]
    assert (outcome.status, outcome.reason) == ("applied", None)
    assert outcome.event_ids == [core.codec.decode(r.value()).event_id
                                 for r in (captured, scored)]
    assert outcome.positions == {f"crm.leads/{scored.partition()}": scored.offset()}


def test_events_read_before_the_core_commits_are_not_yet_an_outcome(
        written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    command = _capture("cmd-1")
    tracking.watch("cmd-1", command.aggregate_id)
    sent, events = _send(core, log, command)
    _deliver(tracking, log, sent, *events)  # all read, but the core may produce more
    assert written == {}
    log.committed = 1
    _deliver(tracking, log)
    assert [written["cmd-1"].status, len(written["cmd-1"].event_ids)] == ["applied", 2]


def test_a_commit_seen_before_the_command_is_read_still_completes_it(
        written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    command = _capture("cmd-1")
    tracking.watch("cmd-1", command.aggregate_id)
    sent, events = _send(core, log, command)
    log.committed = 1
    _deliver(tracking, log, *events)  # crm.commands is read later than crm.leads
    assert written == {}
    _deliver(tracking, log, sent)
    assert written["cmd-1"].event_ids == [core.codec.decode(r.value()).event_id
                                          for r in events]


def test_a_rejection_is_complete_as_soon_as_it_is_read(written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    command = AssignLead(event_id="cmd-2", aggregate_id="LD-NOT-THERE", occurred_at=AT,
                         sales_rep_id="R1")
    tracking.watch("cmd-2", command.aggregate_id)
    _, (rejection,) = _send(core, log, command)
    assert rejection.topic() == "crm.rejections"
    _deliver(tracking, log, rejection)  # before the command itself, before any commit
    outcome = written["cmd-2"]
    assert (outcome.status, outcome.event_ids, outcome.positions) == ("rejected", [], {})
    assert outcome.reason == "lead LD-NOT-THERE does not exist"


def test_commands_and_events_of_others_are_ignored(written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    ours = _capture("cmd-ours")
    theirs = _capture("cmd-theirs", company_name="Other Castings", email="ravi@other.example")
    tracking.watch("cmd-ours", ours.aggregate_id)
    their_sent, their_events = _send(core, log, theirs)
    junk = log.append(COMMANDS, "someone-else", b"not avro")  # not decoded: not our key
    our_sent, our_events = _send(core, log, ours)
    log.committed = 4
    _deliver(tracking, log, their_sent, *their_events, junk, our_sent, *our_events)
    assert list(written) == ["cmd-ours"]
    assert len(written["cmd-ours"].event_ids) == 2


def test_a_finished_command_the_core_dead_lettered_is_dead_lettered_with_the_reason(
        written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    command = _capture("cmd-dl")
    tracking.watch("cmd-dl", command.aggregate_id)
    sent = log.append(COMMANDS, command.aggregate_id, core.codec.encode(command))
    reason = "unknown schema id 7: written with no schema this codec knows"
    assert _deliver(tracking, log, sent, letters={0: reason}) == []  # not finished yet
    log.committed = 1  # finished, no derived event: only now is the topic asked
    assert _deliver(tracking, log, letters={0: reason}) == [[0]]
    outcome = written["cmd-dl"]
    assert (outcome.status, outcome.reason, outcome.event_ids, outcome.positions) == \
        ("dead_lettered", reason, [], {})


def test_no_dead_letter_for_it_leaves_a_command_without_events_applied(
        written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    command = _capture("cmd-quiet")
    tracking.watch("cmd-quiet", command.aggregate_id)
    sent = log.append(COMMANDS, command.aggregate_id, core.codec.encode(command))
    log.committed = 1
    asked = _deliver(tracking, log, sent, letters={5: "someone else's letter"})
    assert asked == [[0]]
    assert (written["cmd-quiet"].status, written["cmd-quiet"].reason) == ("applied", None)


def test_commands_with_events_or_rejected_never_ask_the_dead_letter_topic(
        written: dict[str, Outcome]) -> None:
    core, log, tracking = CoreProcessor(), FakeLog(), _tracker()
    applied = _capture("cmd-ok")
    refused = AssignLead(event_id="cmd-no", aggregate_id="LD-NOT-THERE", occurred_at=AT,
                         sales_rep_id="R1")
    for command in (applied, refused):
        tracking.watch(command.event_id, command.aggregate_id)
    ok_sent, ok_events = _send(core, log, applied)
    no_sent, (rejection,) = _send(core, log, refused)
    log.committed = 2
    letters = {0: "bogus", 1: "bogus"}  # even a letter at their offsets changes nothing
    asked = _deliver(tracking, log, ok_sent, no_sent, *ok_events, rejection, letters=letters)
    assert asked == []
    assert (written["cmd-ok"].status, written["cmd-no"].status) == ("applied", "rejected")
    assert written["cmd-no"].reason == "lead LD-NOT-THERE does not exist"


def test_the_retention_is_seven_days_unless_configured(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(tracker.RETENTION_VARIABLE, raising=False)
    assert retention_from_environment() == timedelta(days=7)
    monkeypatch.setenv(tracker.RETENTION_VARIABLE, "0.5")
    assert retention_from_environment() == timedelta(hours=12)
    monkeypatch.setenv(tracker.RETENTION_VARIABLE, "0")
    with pytest.raises(ValueError, match="CRM_API_RETENTION_DAYS"):
        retention_from_environment()
