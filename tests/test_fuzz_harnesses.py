"""The fuzz harnesses (fuzz/, `make fuzz`) kept working, and what fuzzing found, pinned.

Each harness runs once over its committed corpus and over one real message of every
type (`fuzz.seeds`, regenerated: deterministic, no servers, no atheris needed), so a
harness that no longer matches the code fails here rather than in the next fuzz run.
The findings follow, each with the input that broke the edge written inline.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the fuzz/ folder is not an installed package
    sys.path.insert(0, str(ROOT))

from events.dlq import DeadLetter  # noqa: E402
from fuzz._support import seed_inputs  # noqa: E402
from fuzz.seeds import write_seeds  # noqa: E402
from operations.dead_letters import _partition, _still_broken  # noqa: E402

HARNESSES = ("avro_decode", "command_validation", "dead_letter")


@pytest.fixture(scope="module")
def real_messages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One encoded message of every type the short warm-up history holds, per harness."""
    folder = tmp_path_factory.mktemp("seeds")
    assert write_seeds(folder) > 100
    return folder


@pytest.mark.parametrize("name", HARNESSES)
def test_each_fuzz_harness_keeps_its_contract_on_its_seeds_and_real_messages(
        name: str, real_messages: Path) -> None:
    harness: ModuleType = importlib.import_module(f"fuzz.{name}")
    inputs = seed_inputs(name) + [(p.name, p.read_bytes())
                                  for p in sorted((real_messages / name).iterdir())]
    assert len(inputs) >= 20  # the simulation decides how many types 2 days hold
    for file_name, data in inputs:
        try:
            harness.check(data)
        except Exception as exc:  # the harness' own report: which input, what broke
            raise AssertionError(f"fuzz/{name} fails on {file_name}: {exc!r}") from exc


# -- findings -----------------------------------------------------------------------------


def test_a_dead_letter_whose_partition_header_is_not_a_number_reads_back_as_unknown() -> None:
    # found by fuzz/dead_letter on its first seeds: a record anyone produced onto
    # crm.dead-letter with a text partition header stopped `crm dlq list` (ValueError)
    headers = [("dlq.reason", b"bad"), ("dlq.source.topic", b"crm.commands"),
               ("dlq.source.partition", b"\nIndia\x02\x0c159277\x02\x1e30, Shetty Marg"),
               ("dlq.source.offset", b"\xff\xfe12")]
    letter = DeadLetter.from_headers(b"\x00\x01", b"k", headers)
    assert (letter.source_partition, letter.source_offset) == (-1, -1)
    assert (letter.reason, letter.source_topic, letter.key) == ("bad", "crm.commands", b"k")


def test_a_dead_letter_header_without_a_value_reads_as_empty() -> None:
    # Kafka headers may carry a null value (confluent-kafka gives None): AttributeError
    letter = DeadLetter.from_headers(b"x", None, [("dlq.reason", None),
                                                  ("dlq.source.offset", None)])
    assert (letter.reason, letter.source_offset) == ("", -1)


def test_an_offset_header_of_ten_thousand_digits_reads_as_unknown_without_parsing_it() -> None:
    letter = DeadLetter.from_headers(b"x", None, [("dlq.source.offset", b"9" * 10_000)])
    assert letter.source_offset == -1


def test_a_dead_letter_from_a_topic_that_is_not_ours_is_left_to_the_producer_when_forced(
) -> None:
    # `crm dlq redrive --force` asked the partition of every letter: StopIteration for a
    # source topic outside the topic map (the unforced path already refuses such letters)
    from events.codec import AvroCodec

    letter = DeadLetter(b"\x00", "bad", "someone.elses-topic", 4, 9, b"key")
    assert _partition(letter) == -1
    assert _still_broken(AvroCodec(), letter) == \
        "source topic 'someone.elses-topic' is not in the topic map"


# found by fuzz/command_validation: a clock tick at 9999-12-31T23:59:59Z (event id
# "'; DROP\x04TABLE leads; --") decoded, and the SLA rule resuming a paused case clock
# added business time past year 9999: OverflowError out of the core, a poison input
TICK_IN_YEAR_9999 = bytes.fromhex(
    "0046c81ebf2e273b2044524f50045441424c45206c656164733b202d2d00000000"
    "80f7a0c69983a2840702000001" "00")


def test_a_clock_tick_in_year_9999_is_a_dead_letter_not_an_overflow_in_the_rules() -> None:
    from fuzz.command_validation import targets

    core = targets()  # the warmed core: it holds cases whose SLA clock a tick resumes
    result = core.process_bytes(TICK_IN_YEAR_9999, 0, 41)
    assert isinstance(result, DeadLetter)
    assert result.reason == ("TickClock breaks its contract: occurred_at: Value error, "
                             "9999-12-31T23:59:59+00:00 is outside 1700-01-01 to 4000-12-31")
    assert (result.original, result.source_offset) == (TICK_IN_YEAR_9999, 41)


def test_a_timestamp_on_the_first_day_of_year_one_east_of_utc_is_a_validation_error() -> None:
    # converting it to UTC overflowed (OverflowError, which pydantic does not turn into
    # a validation error: an API request with it would have been a 500)
    from pydantic import ValidationError

    from domain.kernel.system import TickClock

    with pytest.raises(ValidationError, match="is outside 1700-01-01 to 4000-12-31"):
        TickClock(event_id="t", aggregate_id="", occurred_at="0001-01-01T00:00:00+05:30")


def test_dates_follow_salesforce_s_valid_range_1700_to_4000() -> None:
    from datetime import date

    from pydantic import TypeAdapter, ValidationError

    from domain.kernel.messages import Date

    days = TypeAdapter(Date)
    assert days.validate_python(date(1700, 1, 1)) == date(1700, 1, 1)
    assert days.validate_python(date(4000, 12, 31)) == date(4000, 12, 31)
    for outside in (date(1699, 12, 31), date(4001, 1, 1), date(9999, 12, 31)):
        with pytest.raises(ValidationError, match="is outside 1700-01-01 to 4000-12-31"):
            days.validate_python(outside)


# found by fuzz/command_validation: the envelope's event_type was whatever the bytes said.
# 300 rockets as the event_type of an AssessLeadBant made the engine's CommandRejected
# itself invalid (command_type is 100 characters at most): ValidationError out of the
# core. Worse, the engine dispatches on event_type, so an AddOpportunityProduct claiming
# to be a CloseCase reached the CloseCase rule.
PRODUCT_CLAIMING_TO_CLOSE_A_CASE = bytes.fromhex(
    "002fa484c314636f6e66757365642d3112436c6f73654361736500000000000002"
    "000000000603d4c0000a041314cf0004026f00")


def test_a_command_whose_event_type_names_another_command_is_a_dead_letter() -> None:
    from processors.core import CoreProcessor

    result = CoreProcessor().process_bytes(PRODUCT_CLAIMING_TO_CLOSE_A_CASE, 0, 3)
    assert isinstance(result, DeadLetter)
    assert result.reason == ("AddOpportunityProduct breaks its contract: event_type: "
                             "Value error, 'CloseCase' is not AddOpportunityProduct")


def test_a_message_may_not_claim_another_aggregate_type() -> None:
    from pydantic import ValidationError

    from domain.kernel.system import TickClock

    with pytest.raises(ValidationError, match="'lead' is not 'clock'"):
        TickClock(event_id="t", aggregate_id="", aggregate_type="lead",
                  occurred_at="2025-09-01T00:00:00Z")
    assert TickClock(event_id="t", aggregate_id="", occurred_at="2025-09-01T00:00:00Z",
                     event_type="TickClock", aggregate_type="clock").aggregate_type == "clock"


def test_the_value_mutator_puts_hostile_values_into_well_formed_avro(real_messages: Path) -> None:
    from events.codec import AvroCodec, BuiltinSchemaIds, DecodeError
    from fuzz._values import mutate

    codec, ids = AvroCodec(), BuiltinSchemaIds()
    data = (real_messages / "command_validation" / "CaptureLead").read_bytes()
    outcomes = {"structured": 0, "refused": 0, "decoded": 0}
    for seed in range(200):
        out = mutate(data, 4096, seed, ids.schema_for, fallback=lambda d, _: b"")
        if not out:  # the byte-level half (libFuzzer's, outside a run: none)
            continue
        assert out[:5] == data[:5]  # the same writer schema
        outcomes["structured"] += 1
        try:
            message = codec.decode(out)
        except DecodeError:
            outcomes["refused"] += 1
            continue
        outcomes["decoded"] += 1
        assert message.event_type == "CaptureLead"
    assert outcomes["structured"] >= 60, outcomes
    assert outcomes["refused"] >= 10 and outcomes["decoded"] >= 10
