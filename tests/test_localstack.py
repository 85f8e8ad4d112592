"""The embedded local stack: start, reuse, recover, stop (real PostgreSQL and Tansu)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
from collections.abc import Iterator

import psutil
import pytest
import sqlalchemy as sa
from confluent_kafka.admin import AdminClient
from support import temp_home, wait_until
from typer.testing import CliRunner

import localstack
from crm.cli import app
from crm.config import Settings, load_settings
from localstack import StackInfo


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings for a private CRM_HOME, embedded servers only; the stack is stopped after."""
    with temp_home() as home:
        monkeypatch.setenv("CRM_HOME", str(home))
        monkeypatch.delenv("CRM_DATABASE_URL", raising=False)
        monkeypatch.delenv("CRM_KAFKA_BOOTSTRAP", raising=False)
        settings = load_settings()
        try:
            yield settings
        finally:
            localstack.down(settings)


def _dead(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _database_name(url: str) -> str:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(sa.text("SELECT current_database()")).scalar_one())
    finally:
        engine.dispose()


def _broker_ids(bootstrap: str) -> list[int]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return sorted(admin.list_topics(timeout=10).brokers)


def _kill_broker(info: StackInfo) -> None:
    assert info.broker_pid is not None
    os.kill(info.broker_pid, signal.SIGKILL)
    assert wait_until(lambda: not localstack.is_running(load_settings()))


def test_status_without_a_stack_is_none(settings: Settings) -> None:
    assert localstack.status(settings) is None
    assert not localstack.is_running(settings)
    localstack.down(settings)  # a no-op


def test_to_dict_masks_the_password() -> None:
    info = StackInfo(
        "postgresql+psycopg2://crm:s3cret@db:5432/crm", "k:9092", False, False, None, None
    )
    assert "s3cret" not in json.dumps(info.to_dict())
    assert "s3cret" not in repr(info)
    assert info.to_dict()["database_url"] == "postgresql+psycopg2://crm:***@db:5432/crm"


@pytest.mark.integration
def test_up_starts_both_and_status_reports_them_and_the_topics_crm_init_creates(
    settings: Settings,
) -> None:
    info = localstack.up(settings)
    before_init = CliRunner().invoke(app, ["status", "--json"])
    shown = CliRunner().invoke(app, ["status"])

    assert info.embedded_postgres and info.embedded_kafka
    assert info.pg_pid and info.broker_pid
    assert info.database_url.startswith("postgresql+psycopg2://")
    assert localstack.status(settings) == info
    assert localstack.is_running(settings)
    assert _database_name(info.database_url) == "crm"
    assert _broker_ids(info.kafka_bootstrap)
    assert settings.state_file.exists()
    assert (settings.log_dir / "broker.log").exists()
    json.dumps(info.to_dict())
    # before `crm init`: no topics to ask for offsets (that failed: _UNKNOWN_PARTITION)
    assert before_init.exit_code == 0, before_init.output
    assert json.loads(before_init.output)["topics_missing"][0] == "crm.commands"
    assert shown.exit_code == 0
    assert "not created: run `crm init`" in " ".join(re.sub(r"[│┃]", " ", shown.output).split())


@pytest.mark.integration
def test_second_up_is_a_noop(settings: Settings) -> None:
    first = localstack.up(settings)
    state = settings.state_file.read_text()
    assert localstack.up(settings) == first
    assert settings.state_file.read_text() == state


@pytest.mark.integration
@pytest.mark.faults
def test_up_restarts_a_killed_broker(settings: Settings) -> None:
    first = localstack.up(settings)
    _kill_broker(first)
    assert localstack.status(settings) is None
    second = localstack.up(settings)
    assert second.broker_pid != first.broker_pid
    assert second.pg_pid == first.pg_pid
    assert second.kafka_bootstrap == first.kafka_bootstrap  # its port was free: kept
    assert _broker_ids(second.kafka_bootstrap)
    assert localstack.status(settings) == second


@pytest.mark.integration
@pytest.mark.faults
def test_up_moves_the_broker_off_a_taken_port(settings: Settings) -> None:
    first = localstack.up(settings)
    _kill_broker(first)
    host, port = first.kafka_bootstrap.rsplit(":", 1)
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((host, int(port)))
        squatter.listen()
        second = localstack.up(settings)
        assert second.kafka_bootstrap != first.kafka_bootstrap
        assert _broker_ids(second.kafka_bootstrap)


@pytest.mark.integration
@pytest.mark.faults
def test_up_restarts_a_killed_postgres(settings: Settings) -> None:
    first = localstack.up(settings)
    assert first.pg_pid is not None
    os.kill(first.pg_pid, signal.SIGKILL)
    assert wait_until(lambda: localstack.status(settings) is None)
    second = localstack.up(settings)
    assert second.pg_pid != first.pg_pid
    assert second.broker_pid == first.broker_pid
    assert _database_name(second.database_url) == "crm"


@pytest.mark.integration
def test_down_stops_everything(settings: Settings) -> None:
    info = localstack.up(settings)
    localstack.down(settings)
    assert localstack.status(settings) is None
    assert not settings.state_file.exists()
    assert info.pg_pid and info.broker_pid
    assert wait_until(lambda: _dead(info.pg_pid) and _dead(info.broker_pid))  # type: ignore[arg-type]
    localstack.down(settings)  # a second down is a no-op
    again = localstack.up(settings)  # the data directory survives a down
    assert _database_name(again.database_url) == "crm"


@pytest.mark.integration
def test_external_database_url_starts_no_postgres(
    settings: Settings, stack: StackInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", stack.database_url)
    external = load_settings()
    info = localstack.up(external)
    assert not info.embedded_postgres and info.pg_pid is None
    assert info.database_url == stack.database_url
    assert info.embedded_kafka and info.broker_pid
    assert not (external.home / "pgdata").exists()
    assert localstack.status(external) == info
    localstack.down(external)
    assert localstack.status(external) is None
    assert _database_name(stack.database_url)  # the external server is left alone


@pytest.mark.integration
def test_external_servers_start_nothing(
    settings: Settings, stack: StackInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CRM_DATABASE_URL", stack.database_url)
    monkeypatch.setenv("CRM_KAFKA_BOOTSTRAP", stack.kafka_bootstrap)
    external = load_settings()
    info = localstack.up(external)
    assert (info.pg_pid, info.broker_pid) == (None, None)
    assert (info.database_url, info.kafka_bootstrap) == (stack.database_url, stack.kafka_bootstrap)
    assert localstack.status(external) == info


@pytest.mark.integration
def test_fresh_db_url_is_an_empty_private_database(fresh_db_url: str, stack: StackInfo) -> None:
    assert fresh_db_url != stack.database_url
    engine = sa.create_engine(fresh_db_url)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                sa.text(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0
