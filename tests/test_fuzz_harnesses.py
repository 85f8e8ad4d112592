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

from crm.dlq import _partition, _still_broken  # noqa: E402
from events.dlq import DeadLetter  # noqa: E402
from fuzz._support import seed_inputs  # noqa: E402
from fuzz.seeds import write_seeds  # noqa: E402

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
    assert len(inputs) >= 40
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
