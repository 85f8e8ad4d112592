"""The read model against its contract, shared/docs/read-model.md, parsed at test time.

Unit tests compare `projectors.tables.metadata` with the document (tables, columns, types,
keys, NOT NULL, defaults) and the seed queries with the seed. Integration tests migrate a
fresh database on an embedded PostgreSQL and check tables, seed queries, roles, counts
and the checksum.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Engine,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    inspect,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import ProgrammingError

from projectors.db import (
    ANALYST_ROLE,
    WRITER_ROLE,
    alembic_config,
    ensure_roles,
    make_engine,
    migrate,
    table_counts,
    table_digest,
    table_digests,
    truncate_read_tables,
)
from projectors.seed_queries import SEED_QUERIES
from projectors.tables import (
    META_SCHEMA,
    META_TABLES,
    READ_TABLES,
    TABLES,
    VERSION_COLUMN,
    contract_columns,
    metadata,
)

HEAD_REVISION = ScriptDirectory.from_config(alembic_config()).get_current_head()

# ----------------------------------------------------------------------------------------
# The contract document
# ----------------------------------------------------------------------------------------


def shared_dir() -> Path:
    """shared/ next to the project root, or $CRM_SHARED_DIR."""
    override = os.environ.get("CRM_SHARED_DIR", "").strip()
    return Path(override) if override else Path(__file__).resolve().parents[2] / "shared"


@dataclass(frozen=True)
class DocColumn:
    name: str
    type: str  # as written: str(50), dec(15,2), text, timestamp, ...
    primary_key: bool = False
    unique: bool = False
    not_null: bool = False
    default: str | None = None


_DOC_TYPE = r"str\(\d+\)|dec\(\d+,\d+\)|text|timestamp|date|integer|boolean|jsonb"
_COLUMN_LINE = re.compile(
    rf"^- (?P<name>\w+) (?P<type>{_DOC_TYPE})(?: \[(?P<flags>[^\]]*)\])?(?: — .*)?$"
)
# "(... campaign_members also gets variant_code str(10))"
_EXTRA_COLUMN = re.compile(r"(?P<table>\w+) also gets (?P<name>\w+) (?P<type>str\(\d+\))")


def _doc_column(name: str, type_: str, flags: str | None) -> DocColumn:
    attrs: dict[str, Any] = {}
    for flag in (f.strip() for f in (flags or "").split(",") if f.strip()):
        if flag == "PK":
            attrs["primary_key"] = True
        elif flag == "unique":
            attrs["unique"] = True
        elif flag == "not null":
            attrs["not_null"] = True
        elif flag.startswith("default "):
            attrs["default"] = flag.removeprefix("default ")
        else:
            raise AssertionError(f"unknown flag {flag!r} on column {name}")
    return DocColumn(name, type_, **attrs)


@cache
def doc_tables() -> dict[str, dict[str, DocColumn]]:
    """read-model.md as {table: {column: DocColumn}}, tables and columns in doc order."""
    path = shared_dir() / "docs" / "read-model.md"
    tables: dict[str, dict[str, DocColumn]] = {}
    extras: list[re.Match[str]] = []
    current: dict[str, DocColumn] | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if heading := re.match(r"^### (\w+)\s*$", line):
            current = tables.setdefault(heading[1], {})
        elif current is not None and line.startswith("- "):
            match = _COLUMN_LINE.match(line)
            assert match, f"unparsed column line in read-model.md: {line!r}"
            current[match["name"]] = _doc_column(match["name"], match["type"], match["flags"])
        elif current is not None:
            extras.extend(_EXTRA_COLUMN.finditer(line))
    for extra in extras:
        tables[extra["table"]][extra["name"]] = DocColumn(extra["name"], extra["type"])
    return tables


def _type_problem(column: Any, doc_type: str) -> str | None:
    """Why `column.type` does not implement `doc_type`, or None if it does."""
    sa_type = column.type
    if match := re.fullmatch(r"str\((\d+)\)", doc_type):
        ok = type(sa_type) is String and sa_type.length == int(match[1])
    elif match := re.fullmatch(r"dec\((\d+),(\d+)\)", doc_type):
        ok = (
            type(sa_type) is Numeric
            and (sa_type.precision, sa_type.scale) == (int(match[1]), int(match[2]))
            and sa_type.asdecimal
        )
    else:
        expected = {
            "text": Text,
            "timestamp": DateTime,
            "date": Date,
            "integer": Integer,
            "boolean": Boolean,
            "jsonb": JSONB,
        }[doc_type]
        ok = type(sa_type) is expected and not getattr(sa_type, "timezone", False)
    return None if ok else f"{column.table.name}.{column.name}: {sa_type!r} is not {doc_type}"


def _server_default(column: Any) -> str | None:
    default = column.server_default
    return None if default is None else str(default.arg.text)


# ----------------------------------------------------------------------------------------
# Unit tests: metadata against the document
# ----------------------------------------------------------------------------------------


def test_doc_lists_exactly_the_25_read_tables_in_order() -> None:
    assert list(doc_tables()) == list(READ_TABLES)
    assert len(READ_TABLES) == 25
    assert list(TABLES) == list(READ_TABLES)
    assert all(TABLES[name].schema is None for name in READ_TABLES)  # default schema


@pytest.mark.parametrize("table_name", READ_TABLES)
def test_table_matches_doc(table_name: str) -> None:
    doc = doc_tables()[table_name]
    table = TABLES[table_name]
    problems: list[str] = []
    for name, want in doc.items():
        if name not in table.c:
            problems.append(f"missing column {table_name}.{name}")
            continue
        column = table.c[name]
        if problem := _type_problem(column, want.type):
            problems.append(problem)
        if column.primary_key != want.primary_key:
            problems.append(f"{table_name}.{name}: primary_key={column.primary_key}")
        if column.nullable != (not want.primary_key and not want.not_null):
            problems.append(f"{table_name}.{name}: nullable={column.nullable}")
        if bool(column.unique) != want.unique:
            problems.append(f"{table_name}.{name}: unique={column.unique}")
        if _server_default(column) != want.default:
            problems.append(f"{table_name}.{name}: default {_server_default(column)!r}")
    assert not problems, "\n".join(problems)
    assert [c.name for c in contract_columns(table)] == list(doc), "contract columns/order"
    assert [c.name for c in table.primary_key] == [n for n, c in doc.items() if c.primary_key]


@pytest.mark.parametrize("table_name", READ_TABLES)
def test_only_extra_column_is_aggregate_version(table_name: str) -> None:
    table = TABLES[table_name]
    assert set(table.c.keys()) - set(doc_tables()[table_name]) == {VERSION_COLUMN}
    version = table.c[VERSION_COLUMN]
    assert type(version.type) is BigInteger
    assert not version.nullable and _server_default(version) == "0"
    assert version.info == {"contract": False}


def test_campaign_members_has_variant_code() -> None:
    column = TABLES["campaign_members"].c["variant_code"]
    assert type(column.type) is String and column.type.length == 10
    assert column in contract_columns(TABLES["campaign_members"])


def test_no_foreign_key_constraints() -> None:
    assert not [fk for table in metadata.tables.values() for fk in table.foreign_keys]


def test_bookkeeping_lives_in_crm_meta() -> None:
    assert {t.schema for t in META_TABLES.values()} == {META_SCHEMA}
    offsets = META_TABLES["projector_offsets"]
    assert [c.name for c in offsets.primary_key] == ["consumer_group", "topic", "partition"]
    assert set(metadata.tables) == set(READ_TABLES) | {t.fullname for t in META_TABLES.values()}


@pytest.mark.parametrize(
    ("table_name", "columns"),
    [
        ("leads", ["created_at"]),
        ("leads", ["source_campaign_id"]),
        ("lead_activities", ["lead_id"]),
        ("opportunities", ["stage"]),
        ("opportunities", ["opportunity_owner"]),
        ("opportunities", ["account_id"]),
        ("opportunity_products", ["opportunity_id"]),
        ("quotation_lines", ["quotation_id"]),
        ("campaigns", ["campaign_status"]),
        ("campaign_members", ["campaign_id"]),
        ("cases", ["created_at"]),
        ("sales_forecasts", ["forecast_period"]),
    ],
)
def test_indexes_for_queries_and_lookups(table_name: str, columns: list[str]) -> None:
    indexed = [[c.name for c in ix.columns] for ix in TABLES[table_name].indexes]
    assert columns in indexed


def _seed_sql_blocks() -> list[str]:
    for path in sorted((shared_dir() / "seed").glob("*.txt")):
        content = path.read_text(encoding="utf-8")
        if "Key SQL Queries" in content:
            section = content.split("Key SQL Queries", 1)[1].split("\n---", 1)[0]
            return re.findall(r"```sql\n(.*?)```", section, re.S)
    pytest.skip("no seed file with 'Key SQL Queries' in shared/seed")


def _normalise_sql(sql: str) -> str:
    return "\n".join(line.rstrip() for line in sql.strip().splitlines())


def test_seed_queries_are_the_seeds_verbatim() -> None:
    assert list(SEED_QUERIES) == [
        "lead-funnel",
        "pipeline",
        "rep-performance",
        "account-health",
        "forecast-accuracy",
        "campaign-roi",
        "case-sla",
    ]
    assert [_normalise_sql(sql) for sql in SEED_QUERIES.values()] == [
        _normalise_sql(sql) for sql in _seed_sql_blocks()
    ]


# ----------------------------------------------------------------------------------------
# Integration: the session's embedded PostgreSQL (tests/conftest.py), a fresh database each
# ----------------------------------------------------------------------------------------


def _include_name(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    if type_ == "schema":
        return name in (None, META_SCHEMA)
    return type_ != "table" or name != "alembic_version"


@pytest.mark.integration
def test_migrate_creates_exactly_the_model(fresh_db_url: str) -> None:
    migrate(fresh_db_url)
    migrate(fresh_db_url)  # idempotent
    eng = make_engine(fresh_db_url)
    try:
        inspector = inspect(eng)
        assert sorted(inspector.get_table_names()) == sorted(READ_TABLES)
        assert sorted(inspector.get_table_names(schema=META_SCHEMA)) == [
            "alembic_version",
            "projector_offsets",
        ]
        with eng.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "include_schemas": True,
                    "include_name": _include_name,
                    "compare_type": True,
                    "compare_server_default": True,
                },
            )
            assert compare_metadata(context, metadata) == []  # migration == tables.py
    finally:
        eng.dispose()


@pytest.mark.integration
def test_concurrent_migrations_apply_once(fresh_db_url: str) -> None:
    """Several processes starting at once (Alembic itself is not thread-safe)."""
    script = "import sys; from projectors.db import migrate; migrate(sys.argv[1])"
    processes = [
        subprocess.Popen([sys.executable, "-c", script, fresh_db_url], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
    eng = make_engine(fresh_db_url)
    try:
        assert sorted(inspect(eng).get_table_names()) == sorted(READ_TABLES)
        with eng.connect() as conn:
            versions = conn.execute(text(f"SELECT version_num FROM {META_SCHEMA}.alembic_version"))
            assert versions.scalars().all() == [HEAD_REVISION]  # the chain, applied once
    finally:
        eng.dispose()


NOW = datetime.now().replace(microsecond=0)


def _sample_rows() -> dict[str, list[dict[str, Any]]]:
    """One row per table that a seed query reads, so every query returns a row."""
    return {
        "leads": [
            {
                "lead_id": "LEAD-1",
                "lead_number": "L-0001",
                "company_name": "Acme Gears",
                "lead_source": "website",
                "lead_status": "qualified",
                "converted": True,
                "created_at": NOW - timedelta(days=1),
            }
        ],
        "sales_reps": [
            {
                "sales_rep_id": "REP-1",
                "rep_code": "R-001",
                "first_name": "Asha",
                "last_name": "Rao",
                "annual_quota": Decimal("1000000.00"),
                "ytd_revenue": Decimal("250000.00"),
            }
        ],
        "accounts": [
            {
                "account_id": "ACC-1",
                "account_number": "A-0001",
                "account_name": "Acme Gears",
                "account_tier": "key",
                "relationship_status": "active",
                "health_score": 72,
                "lifetime_value": Decimal("50000.00"),
            }
        ],
        "opportunities": [
            {
                "opportunity_id": "OPP-1",
                "opportunity_number": "O-0001",
                "opportunity_name": "Gearboxes",
                "account_id": "ACC-1",
                "amount": Decimal("50000.00"),
                "close_date": date.today() + timedelta(days=30),
                "stage": "proposal",
                "probability_pct": 60,
                "opportunity_owner": "REP-1",
            }
        ],
        "sales_forecasts": [
            {
                "forecast_id": "FC-1",
                "forecast_period": "quarterly",
                "forecast_year": 2025,
                "forecast_quarter": 3,
                "commit_amount": Decimal("100.00"),
                "actual_revenue": Decimal("120.00"),
                "snapshot_date": date(2025, 9, 30),
            }
        ],
        "campaigns": [
            {
                "campaign_id": "CMP-1",
                "campaign_code": "C-001",
                "campaign_name": "Trade fair",
                "campaign_type": "trade_show",
                "campaign_status": "completed",
                "start_date": date(2025, 1, 1),
                "end_date": date(2025, 2, 1),
                "actual_cost": Decimal("1000.00"),
                "total_leads": 1,
                "deals_won": 1,
                "total_revenue": Decimal("5000.00"),
            }
        ],
        "cases": [
            {
                "case_id": "CASE-1",
                "case_number": "CS-0001",
                "account_id": "ACC-1",
                "subject": "Noise",
                "description": "Gearbox is noisy",
                "priority": "high",
                "case_status": "resolved",
                "created_at": NOW - timedelta(days=2),
                "resolved_date": NOW - timedelta(days=1),
            }
        ],
    }


def _insert(eng: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    with eng.begin() as conn:
        for name, table_rows in rows.items():
            if table_rows:
                conn.execute(TABLES[name].insert(), table_rows)


@pytest.mark.integration
@pytest.mark.parametrize("query_name", list(SEED_QUERIES))
def test_seed_query_runs_unmodified(engine: Engine, query_name: str) -> None:
    sql = SEED_QUERIES[query_name]
    with engine.connect() as conn:
        assert conn.exec_driver_sql(sql).all() == []  # empty schema: runs, no rows
    _insert(engine, _sample_rows())
    with engine.connect() as conn:
        assert len(conn.exec_driver_sql(sql).all()) >= 1


@pytest.mark.integration
def test_roles_analyst_reads_only_writer_writes(engine: Engine) -> None:
    ensure_roles(engine)
    ensure_roles(engine)  # idempotent
    lead = {"lead_id": "L1", "lead_number": "N1", "company_name": "Acme"}
    with engine.connect() as conn:
        conn.execute(text(f"SET ROLE {ANALYST_ROLE}"))
        for name in READ_TABLES:
            conn.execute(TABLES[name].select().limit(1)).all()
        for statement in (
            TABLES["leads"].insert().values(**lead),
            META_TABLES["projector_offsets"].select(),
        ):
            with pytest.raises(ProgrammingError) as excinfo, conn.begin_nested():
                conn.execute(statement)
            assert excinfo.value.orig.pgcode == "42501"  # insufficient_privilege
        conn.rollback()

        conn.execute(text(f"SET ROLE {WRITER_ROLE}"))
        conn.execute(TABLES["leads"].insert().values(**lead))
        conn.execute(
            META_TABLES["projector_offsets"]
            .insert()
            .values(consumer_group="g", topic="t", partition=0, next_offset=1)
        )
        conn.execute(TABLES["leads"].update().values(city="Pune"))
        conn.execute(TABLES["leads"].delete())
        conn.rollback()


def _leads(count: int) -> list[dict[str, Any]]:
    return [
        {
            "lead_id": f"LEAD-{i}",
            "lead_number": f"L-{i:04d}",
            "company_name": f"Company {i}",
            "estimated_deal_value": Decimal(f"{i}000.50"),
            "created_at": datetime(2025, 1, 1, 8, 30) + timedelta(hours=i),
            "notes": None if i % 2 else f"note with 'quotes', commas and (parens) {i}",
        }
        for i in range(1, 6)
    ][:count]


@pytest.mark.integration
def test_digest_ignores_order_and_versions_but_not_values(engine: Engine) -> None:
    empty = table_digest(engine)
    rows = {**_sample_rows(), "leads": _leads(5)}
    _insert(engine, rows)
    populated = table_digest(engine)
    assert populated != empty
    assert table_counts(engine)["leads"] == 5

    truncate_read_tables(engine)
    assert table_digest(engine) == empty
    assert set(table_counts(engine).values()) == {0}
    _insert(engine, {name: list(reversed(r)) for name, r in reversed(list(rows.items()))})
    assert table_digest(engine) == populated

    with engine.begin() as conn:  # projection-only column: no change
        conn.execute(TABLES["leads"].update().values({VERSION_COLUMN: 7}))
    assert table_digest(engine) == populated

    before = table_digests(engine)
    leads: Table = TABLES["leads"]
    with engine.begin() as conn:
        conn.execute(leads.update().where(leads.c.lead_id == "LEAD-3").values(city="Pune"))
    after = table_digests(engine)
    assert table_digest(engine) != populated
    assert [name for name in READ_TABLES if before[name] != after[name]] == ["leads"]

    with engine.begin() as conn:  # NULL and '' must differ
        conn.execute(leads.update().where(leads.c.lead_id == "LEAD-3").values(city=""))
    assert table_digests(engine)["leads"] != before["leads"]


@pytest.mark.integration
def test_truncate_can_reset_offsets(engine: Engine) -> None:
    offsets = META_TABLES["projector_offsets"]
    with engine.begin() as conn:
        conn.execute(
            offsets.insert().values(consumer_group="g", topic="t", partition=0, next_offset=5)
        )
    truncate_read_tables(engine)
    with engine.connect() as conn:
        assert conn.execute(offsets.select()).all() != []
    truncate_read_tables(engine, reset_offsets=True)
    with engine.connect() as conn:
        assert conn.execute(offsets.select()).all() == []
