"""The HTTP API's edge without servers: keys and roles, request bodies taken from the
domain's models, and refusals that happen before anything is sent.

The app is used without its lifespan (no database, no broker): every request here is
answered by authentication or validation, before a command could be claimed or sent.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api import reads
from api.app import create_app
from api.auth import KeyRing, parse_keys
from api.bodies import body_model, command_from, command_types, lead_form_model
from api.gateway import request_hash
from domain.leads.messages import AssignLead, CaptureLead
from domain.rules_config import FiscalRules
from reports import trends
from reports.asof import AsOfError

with warnings.catch_warnings():  # starlette's TestClient asks for httpx2 (not installed)
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

WRITER, ANALYST = "w-key-123", "a-key-456"
FORM = {"company_name": "Shakti Forgings", "contact_first_name": "Asha",
        "contact_last_name": "Iyer", "email": "asha@shakti.example", "country": "India",
        "lead_source": "website"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(None, KeyRing({WRITER: "writer", ANALYST: "analyst"}))  # type: ignore[arg-type]
    return TestClient(app)


def test_keys_are_parsed_with_role_and_user_and_a_bad_entry_is_named_by_position_only(
) -> None:
    assert parse_keys(" k1:writer:asha.rao, k:2:analyst , k3:analyst:bi-tool,") == {
        "k1": ("writer", "asha.rao"), "k:2": ("analyst", None), "k3": ("analyst", "bi-tool")}
    for bad in ("k1:writer,secret-key:admin", "k1:writer,secret-key:admin:asha",
                "k1:writer,secret-key:writer:two words"):
        with pytest.raises(ValueError, match="entry 2") as refused:
            parse_keys(bad)
        assert "secret-key" not in str(refused.value)


def test_a_writers_commands_carry_its_keys_user_as_actor_or_else_the_key() -> None:
    ring = KeyRing({"k1": ("writer", "asha.rao"), "k2": "writer"})
    named, unnamed = ring.lookup("k1"), ring.lookup("k2")
    assert named is not None and named.actor == "asha.rao"
    assert unnamed is not None and unnamed.actor == f"key-{unnamed.fingerprint}"
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    body = body_model(AssignLead).model_validate({"aggregate_id": "LD-7",
                                                  "sales_rep_id": "R1"})
    assert command_from(AssignLead, body, "c1", now, named.actor).actor == "asha.rao"
    with pytest.raises(ValidationError, match="actor"):  # a caller cannot name someone else
        body_model(AssignLead).model_validate({"aggregate_id": "LD-7", "sales_rep_id": "R1",
                                               "actor": "someone.else"})


def test_a_key_ring_knows_the_role_and_shows_only_a_fingerprint() -> None:
    ring = KeyRing({WRITER: "writer"})
    principal = ring.lookup(WRITER)
    assert principal is not None and principal.role == "writer"
    assert len(principal.fingerprint) == 8 and WRITER not in repr(principal)
    assert ring.lookup("w-key-12") is None and WRITER not in repr(ring)


def test_every_command_but_the_clock_can_be_posted() -> None:
    names = command_types()
    assert "TickClock" not in names
    assert {"CaptureLead", "AssignLead", "ChangeOpportunityStage", "OpenCase"} <= set(names)


def test_a_body_is_the_command_without_the_envelope_the_server_fills_in() -> None:
    fields = set(body_model(CaptureLead).model_fields)
    assert {"aggregate_id", "occurred_at", "correlation_id", "company_name"} <= fields
    assert not fields & {"event_id", "event_type", "aggregate_version", "producer",
                         "schema_version", "causation_id", "aggregate_type", "actor"}


def test_a_command_without_an_aggregate_id_gets_one_derived_from_its_id() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    body = body_model(CaptureLead).model_validate({"company_name": "A",
                                                   "lead_source": "website"})
    command = command_from(CaptureLead, body, "0f1e2d3c-aaaa-5bbb-8ccc-0123456789ab", now)
    assert (command.aggregate_id, command.event_id, command.occurred_at, command.producer) \
        == ("LD-0f1e2d3caaaa5bbb8c", "0f1e2d3c-aaaa-5bbb-8ccc-0123456789ab", now, "api")
    named = body_model(AssignLead).model_validate({"aggregate_id": "LD-7",
                                                   "sales_rep_id": "R1"})
    assert command_from(AssignLead, named, "c1", now).aggregate_id == "LD-7"


def test_the_web_form_requires_the_contact_and_a_plausible_email() -> None:
    form = lead_form_model()
    assert set(form.model_json_schema()["required"]) == set(FORM)
    with pytest.raises(ValueError, match="email"):
        form.model_validate({**FORM, "email": "not-an-address"})


def test_a_retry_hashes_alike_and_a_changed_body_does_not() -> None:
    model = body_model(CaptureLead)
    one = model.model_validate({"company_name": "A", "lead_source": "website"})
    same = model.model_validate({"lead_source": "website", "company_name": "A"})
    other = model.model_validate({"company_name": "B", "lead_source": "website"})
    assert request_hash("CaptureLead", one) == request_hash("CaptureLead", same)
    assert request_hash("CaptureLead", one) != request_hash("CaptureLead", other)


def test_no_key_is_401_and_an_analyst_may_not_post(client: TestClient) -> None:
    assert client.get("/v1/leads").status_code == 401
    assert client.get("/v1/leads", headers={"X-API-Key": "nope"}).status_code == 401
    refused = client.post("/v1/leads", json=FORM, headers={"X-API-Key": ANALYST})
    assert refused.status_code == 403 and ANALYST not in refused.text


def test_bad_fields_are_422_with_their_location(client: TestClient) -> None:
    headers = {"X-API-Key": WRITER}
    too_long = client.post("/v1/leads", json={**FORM, "company_name": "x" * 201},
                           headers=headers)
    huge = client.post("/v1/commands/CaptureLead", headers=headers, json={
        "company_name": "A", "lead_source": "website", "estimated_deal_value": "1e40"})
    unknown = client.post("/v1/commands/CaptureLead", headers=headers,
                          json={**FORM, "colour": "red"})
    assert [r.status_code for r in (too_long, huge, unknown)] == [422, 422, 422]
    assert too_long.json()["detail"][0]["loc"] == ["body", "company_name"]
    assert huge.json()["detail"][0]["loc"] == ["body", "estimated_deal_value"]
    assert "exceeds DECIMAL(15,2)" in huge.json()["detail"][0]["msg"]
    assert unknown.json()["detail"][0]["loc"] == ["body", "colour"]


def test_the_contract_lists_every_command_the_records_and_the_reports(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert len([p for p in paths if p.startswith("/v1/commands/")]) == len(command_types()) + 1
    assert {"/v1/leads", "/v1/leads/{record_id}", "/v1/contracts", "/v1/reports/{name}",
            "/v1/commands/{command_id}"} <= set(paths)
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    price = schema["AddOpportunityProductBody"]["properties"]["list_price"]["anyOf"]
    assert {"pattern": r"^-?\d{1,8}(\.\d{1,4})?$", "type": "string"} in price


def test_a_bad_as_of_is_422_on_the_parameter_before_the_database_is_asked(
    client: TestClient,
) -> None:
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    for path in ("/v1/reports/pipeline", "/v1/leads/LD-1", "/v1/opportunities"):
        for bad in ("end of March", "2026-13-01", "0001-01-01T00:00+05:00", tomorrow,
                    f"{tomorrow}T00:00:00Z"):
            answer = client.get(path, params={"as_of": bad}, headers={"X-API-Key": ANALYST})
            assert answer.status_code == 422, (path, bad, answer.text)
            assert answer.json()["detail"][0]["loc"] == ["query", "as_of"]
    assert "not a date or timestamp: 'end of March'" in client.get(
        "/v1/reports/pipeline", params={"as_of": "end of March"},
        headers={"X-API-Key": ANALYST}).json()["detail"][0]["msg"]


def test_a_nul_in_any_text_parameter_is_422_on_it_before_the_database_is_asked(
    client: TestClient,
) -> None:
    """PostgreSQL text cannot hold NUL: schemathesis found `stage=%00` answered with a 500."""
    for path, params, where in (
            ("/v1/opportunities", {"stage": "a\x00b"}, ["query", "stage"]),
            ("/v1/leads", {"after": "\x00"}, ["query", "after"]),
            ("/v1/leads/LD%00-1", {}, ["path", "record_id"]),
            ("/v1/quotations/Q%00/history", {}, ["path", "record_id"]),
            ("/v1/leads/LD-1", {"as_of": "2026-03-31\x00"}, ["query", "as_of"])):
        answer = client.get(path, params=params, headers={"X-API-Key": WRITER})
        assert answer.status_code == 422, (path, params, answer.text)
        assert answer.json()["detail"][0]["loc"] == where
    status = client.get("/v1/commands/c%00", headers={"X-API-Key": WRITER})
    assert status.status_code == 422 and status.json()["detail"][0]["loc"] == [
        "path", "command_id"]


def test_an_as_of_later_than_now_is_refused_but_today_as_a_date_is_not() -> None:
    now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert reads.moment("2026-11-27", now) == datetime(2026, 11, 27, 23, 59, 59, 999999)
    assert reads.moment("2026-11-27T15:29+05:30", now) == datetime(2026, 11, 27, 9, 59)
    for later in ("2026-11-28", "2026-11-27T10:00:01", "2026-11-27T16:00+05:30"):
        with pytest.raises(RequestValidationError) as refused:
            reads.moment(later, now)
        assert "is in the future (now is 2026-11-27T10:00:00 UTC)" in str(
            refused.value.errors()[0]["msg"])


def test_what_the_as_of_tables_refuse_is_a_422_with_the_reason_not_a_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*_: object) -> None:
        raise AsOfError("leads has rows but no field history")

    monkeypatch.setattr(reads, "query_as_of", refuse)
    monkeypatch.setattr(client.app.state, "engine", None, raising=False)
    monkeypatch.setattr(client.app.state, "analyst_role", False, raising=False)
    answer = client.get("/v1/reports/lead-funnel", params={"as_of": "2026-03-31"},
                        headers={"X-API-Key": ANALYST})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["msg"] == "leads has rows but no field history"


def test_every_record_resource_has_its_history_in_the_contract(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/leads/{record_id}/history", "/v1/quotations/{record_id}/history",
            "/v1/contracts/{record_id}/history"} <= set(paths)
    assert "as_of" in {p["name"] for p in paths["/v1/reports/{name}"]["get"]["parameters"]}


def test_the_trends_are_in_the_contract_with_the_command_lines_options(
    client: TestClient,
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    names = {path: {p["name"] for p in paths[path]["get"]["parameters"]}
             for path in ("/v1/reports/pipeline-trend", "/v1/reports/forecast-trend")}
    assert names == {"/v1/reports/pipeline-trend": {"from", "to", "every"},
                     "/v1/reports/forecast-trend": {"from", "to", "every", "closing_from",
                                                    "closing_to"}}


def test_bad_trend_parameters_are_422_on_the_parameter_before_the_database_is_asked(
    client: TestClient,
) -> None:
    analyst = {"X-API-Key": ANALYST}
    for path in ("/v1/reports/pipeline-trend", "/v1/reports/forecast-trend"):
        for params, loc, reason in (
            ({"from": "2026-13-01"}, "from", "from must be YYYY-MM-DD"),
            ({"from": "31.03.2026"}, "from", "pattern"),
            ({"every": "fortnight"}, "every", "pattern"),
            ({"from": "2026-03-31", "to": "2026-01-01"}, "to", "before it starts"),
            ({"from": "2000-01-01", "to": "2026-01-01", "every": "1"}, "from",
             "more than 53 points"),
            ({"to": "0001-01-03"}, "to", "out of range"),
        ):
            answer = client.get(path, params=params, headers=analyst)
            assert answer.status_code == 422, (path, params, answer.text)
            detail = answer.json()["detail"][0]
            assert detail["loc"] == ["query", loc] and reason in detail["msg"], (path, detail)
        assert client.get(path).status_code == 401
    closing = client.get("/v1/reports/forecast-trend", headers=analyst, params={
        "to": "2026-03-31", "closing_from": "2026-03-01", "closing_to": "2026-02-01"})
    assert closing.status_code == 422
    assert closing.json()["detail"][0] == {"type": "value_error",
                                           "loc": ["query", "closing_to"],
                                           "msg": "closing_to is before closing_from",
                                           "input": None}


def test_a_trend_takes_its_points_from_reports_trends_and_an_as_of_refusal_is_a_409(
    client: TestClient, monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[object] = []

    def pipeline(_: object, days: list[date]) -> list[tuple[object, ...]]:
        asked.append(days)
        return [(days[-1], "proposal", 2, Decimal("1500.00"), Decimal("750.00"))]

    def refuse(_: object, days: list[date], closing: tuple[date, date]) -> None:
        asked.append(closing)
        raise AsOfError("opportunities has rows but no field history")

    monkeypatch.setattr(trends, "pipeline_trend", pipeline)
    monkeypatch.setattr(trends, "forecast_trend", refuse)
    monkeypatch.setattr(client.app.state, "engine", None, raising=False)
    answer = client.get("/v1/reports/pipeline-trend", headers={"X-API-Key": ANALYST},
                        params={"from": "2026-03-01", "to": "2026-03-31", "every": "14"})
    assert answer.status_code == 200, answer.text
    assert asked.pop() == [date(2026, 3, 1), date(2026, 3, 15), date(2026, 3, 29),
                           date(2026, 3, 31)]
    assert answer.json() == {
        "name": "pipeline-trend", "columns": trends.PIPELINE_COLUMNS,
        "rows": [["2026-03-31", "proposal", 2, "1500.00", "750.00"]],
        "closing_from": None, "closing_to": None}
    refused = client.get("/v1/reports/forecast-trend", headers={"X-API-Key": ANALYST},
                         params={"to": "2026-03-31", "closing_to": "2026-06-30"})
    assert asked.pop() == (date(2026, 1, 1), date(2026, 7, 1))
    assert (refused.status_code, refused.json()["detail"]) == \
        (409, "opportunities has rows but no field history")
    # the server's fiscal calendar (the core's, from Services.rules): a year from
    # February, so the default close period of a trend ending 15 May is May to July
    monkeypatch.setattr(client.app.state, "fiscal", FiscalRules(fiscal_year_start_month=2))
    client.get("/v1/reports/forecast-trend", headers={"X-API-Key": ANALYST},
               params={"to": "2026-05-15"})
    assert asked.pop() == (date(2026, 5, 1), date(2026, 8, 1))
