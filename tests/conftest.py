"""Shared fixtures: one embedded stack (PostgreSQL + Tansu) for the whole test session.

CRM_DATABASE_URL / CRM_KAFKA_BOOTSTRAP already set in the environment are honoured (the
stack then starts no embedded server for them); otherwise the embedded servers are used.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import settings
from kafka_support import (  # noqa: F401  (the brokers' fixtures)
    any_broker,
    apache_kafka,
)
from support import create_database, drop_database, temp_home

import localstack
from crm.config import load_settings
from localstack import StackInfo
from localstack.children import REAP_DIR_ENV
from projectors.db import make_engine, migrate

# Tests never assert timings: hypothesis's per-example deadline (200 ms) is one, and it
# failed property tests on this 2-core machine under load for no fault of the code.
settings.register_profile("crm", deadline=None)
settings.load_profile("crm")

# Fixtures that start or use a server: a test asking for one is an integration test
# whatever its module says (test_faults_*.py mark each test by what it needs, so that the
# server-free ones run in `make test-fast`).
SERVER_FIXTURES = frozenset({"stack", "fresh_db_url", "kafka_bootstrap", "fresh_kafka",
                             "own_kafka", "apache_kafka", "any_broker"})


_REAPER: list[subprocess.Popen[bytes]] = []  # held: a dropped Popen warns while it runs


def pytest_sessionstart(session: pytest.Session) -> None:
    """Start the reaper (localstack/reaper.py): the servers this session starts, itself or
    through `crm`, are stopped when it ends, even killed. A session inside a test's session
    notes its servers in the outer one's directory. A CRM_TEST_KAFKA_HOME cluster stays."""
    if os.environ.get(REAP_DIR_ENV):
        return
    directory = tempfile.mkdtemp(prefix="crm-reap-")
    os.environ[REAP_DIR_ENV] = directory
    keep = [os.environ["CRM_TEST_KAFKA_HOME"]] if os.environ.get("CRM_TEST_KAFKA_HOME") else []
    _REAPER.append(subprocess.Popen(
        [sys.executable, "-m", "localstack.reaper", str(os.getpid()), directory, *keep],
        cwd=Path(__file__).resolve().parent.parent, start_new_session=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))


def pytest_report_header(config: pytest.Config) -> str:
    """Say what history the fault and determinism tests replay (and any override)."""
    from faults_support import history_description

    try:
        return f"fault history: {history_description()}"
    except RuntimeError as missing:  # the fault tests fail on it; the rest can still run
        return f"fault history: UNAVAILABLE: {missing}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark `integration` every test that uses a server fixture but lacks the marker, so
    `-m "not integration"` never starts a server. The `kafka` tests run last: their
    cluster (three JVMs, ~10 % of a core idle) then runs beside no other test."""
    for item in items:
        needs = SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if needs and item.get_closest_marker("integration") is None:
            item.add_marker(pytest.mark.integration)
    items.sort(key=lambda item: item.get_closest_marker("kafka") is not None)  # stable


@pytest.fixture(scope="session")
def stack() -> Iterator[StackInfo]:
    """The running stack, with CRM_HOME in a temporary directory (see `temp_home`)."""
    with temp_home() as home, pytest.MonkeyPatch.context() as env:
        env.setenv("CRM_HOME", str(home))
        settings = load_settings()
        try:
            yield localstack.up(settings)
        finally:
            localstack.down(settings)


@pytest.fixture
def fresh_db_url(stack: StackInfo) -> Iterator[str]:
    """SQLAlchemy URL of a new, empty database (unique name), dropped after the test."""
    url = create_database(stack.database_url)
    yield url
    drop_database(url)


@pytest.fixture
def engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    """An engine on a migrated, empty read model (a fresh database)."""
    migrate(fresh_db_url)
    eng = make_engine(fresh_db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def kafka_bootstrap(stack: StackInfo) -> str:
    """Bootstrap servers of the session's Kafka broker."""
    return stack.kafka_bootstrap


@pytest.fixture
def fresh_kafka(stack: StackInfo) -> Iterator[str]:
    """Bootstrap of a broker of this test's own (Tansu starts in ~0.1 s), topics created.

    For tests that read whole topics (rebuilds, runtime comparisons, fault tests) and
    must not see what other tests produced to the session broker. Killed at the end, as
    `own_kafka`: a SIGTERMed Tansu waits ~5 s for its clients to hang up, and it keeps
    nothing anyway.
    """
    from faults_support import kill_broker

    from events.admin import ensure_topics

    with temp_home("crm-kafka-") as home, pytest.MonkeyPatch.context() as env:
        env.setenv("CRM_HOME", str(home))
        env.setenv("CRM_DATABASE_URL", stack.database_url)  # start no PostgreSQL
        env.delenv("CRM_KAFKA_BOOTSTRAP", raising=False)
        settings = load_settings()
        info = localstack.up(settings)
        try:
            ensure_topics(info.kafka_bootstrap)
            yield info.kafka_bootstrap
        finally:
            with contextlib.suppress(AssertionError, OSError):
                kill_broker(settings)
            localstack.down(settings)
