"""The stand-in ERP survives its group moving (a broker with the group's coordinator
killed, a rebalance): the commit it loses is logged and the requests answered again.
Found by tests/test_kafka_failover.py, where the ERP worker died with _ASSIGNMENT_LOST."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException

from operations.erp_worker import commit


class Refusing:
    """A consumer whose commit fails with `code`."""

    def __init__(self, code: int) -> None:
        self.code = code

    def commit(self, asynchronous: bool = True) -> None:
        raise KafkaException(KafkaError(self.code))


@pytest.mark.parametrize("code", [KafkaError._ASSIGNMENT_LOST, KafkaError.NOT_COORDINATOR,
                                  KafkaError.REBALANCE_IN_PROGRESS,
                                  KafkaError.UNKNOWN_MEMBER_ID])
def test_a_commit_the_moving_group_refuses_is_logged_not_raised(
    code: int, caplog: pytest.LogCaptureFixture,
) -> None:
    commit(Refusing(code))  # type: ignore[arg-type]

    assert "answered again" in caplog.text


def test_any_other_commit_error_still_stops_the_worker() -> None:
    with pytest.raises(KafkaException):
        commit(Refusing(KafkaError.GROUP_AUTHORIZATION_FAILED))  # type: ignore[arg-type]
