"""The HTTP API (`crm serve`) on a stack of its own: a fresh database and broker, the live
core and projector workers, and uvicorn on a free port, for the whole module.

Idempotency, auth, 422s with field-level reasons, read-your-writes, and the OpenAPI
contract fuzzed by schemathesis against the running server.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis
from api_support import WRITER, WRITER_USER, Api, own_stack, serving
from confluent_kafka import Consumer, TopicPartition
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from sqlalchemy import update
from typer.testing import CliRunner

from api import store
from api.reads import MAX_PAGE
from api.tracker import EVENT_PARTS, Tracker
from crm import bootstrap
from crm.bootstrap import Services
from crm.cli import app as cli
from events.codec import AvroCodec, BuiltinSchemaIds
from events.topics import COMMANDS
from kafka_client.offsets import log_ends
from localstack import StackInfo
from localstack.worker_processes import workers
from operations.dead_letters import list_dead_letters
from reports.history import record_history

pytestmark = pytest.mark.integration
FORM = {"company_name": "Shakti Forgings", "contact_first_name": "Asha",
        "contact_last_name": "Iyer", "email": "asha@shakti.example", "country": "India",
        "lead_source": "website"}


@pytest.fixture(scope="module")
def services(stack: StackInfo) -> Iterator[Services]:
    """A database and broker of the module's own, with the core and projector running."""
    with own_stack(stack) as own, workers(own.settings, ("core", "projector")):
        yield own


@pytest.fixture(scope="module")
def api(services: Services) -> Iterator[Api]:
    """The server on the module's stack."""
    with serving(services) as running:
        yield running


def _derived(services: Services, command_id: str) -> dict[str, str]:
    """Every event on the event topics caused by this command: event id -> type."""
    ends = log_ends(services.bootstrap, EVENT_PARTS, services.kafka_extra)
    consumer = Consumer({"bootstrap.servers": services.bootstrap, "group.id": "api-test",
                         "enable.auto.commit": False, **(services.kafka_extra or {})})
    found: dict[str, str] = {}
    try:
        consumer.assign([TopicPartition(t, p, 0) for (t, p), end in ends.items() if end])
        left = {tp for tp, end in ends.items() if end}
        deadline = time.monotonic() + 30
        while left and time.monotonic() < deadline:
            for msg in consumer.consume(500, timeout=0.5):
                if msg.error() is not None:
                    continue
                if msg.offset() + 1 >= ends[(msg.topic(), msg.partition())]:
                    left.discard((msg.topic(), msg.partition()))
                event = services.codec.decode(msg.value())
                if event.causation_id == command_id:
                    found[event.event_id] = type(event).__name__
    finally:
        consumer.close()
    return found


def _status(api: Api, command_id: str, within: float = 45) -> dict[str, Any]:
    """The command's status once rejected or applied-and-visible (the core may still be
    starting: wait in steps)."""
    deadline = time.monotonic() + within
    while True:
        body = api.writer.get(f"/v1/commands/{command_id}", params={"wait": 10}).json()
        if body["status"] in ("rejected", "dead_lettered") or body["visible"] or \
                time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_a_posted_lead_is_applied_with_every_derived_event_and_can_be_read_back_once_visible(
    api: Api, services: Services,
) -> None:
    # a company no other test posts: the lead is nobody's duplicate, whatever the order
    form = {**FORM, "company_name": "Kaveri Precision Castings", "email": "asha@kaveri.example"}
    posted = api.writer.post("/v1/leads", json=form)
    assert posted.status_code == 202, posted.text
    accepted = posted.json()
    assert accepted["status_url"] == f"/v1/commands/{accepted['command_id']}"
    assert posted.headers["Location"] == accepted["status_url"]
    status = _status(api, accepted["command_id"])
    assert (status["status"], status["visible"], status["command_type"]) == \
        ("applied", True, "CaptureLead")
    # a new lead, no reps to assign it to, no campaign: captured and scored, nothing else
    derived = _derived(services, accepted["command_id"])
    assert sorted(derived.values()) == ["LeadCaptured", "LeadScored"]
    assert sorted(status["event_ids"]) == sorted(derived)
    lead = api.analyst.get(f"/v1/leads/{accepted['aggregate_id']}")
    assert lead.status_code == 200
    assert (lead.json()["company_name"], lead.json()["email"], lead.json()["created_by"],
            lead.json()["lead_status"]) == ("Kaveri Precision Castings", "asha@kaveri.example",
                                            "web-form", "new")
    listed = api.analyst.get("/v1/leads", params={"lead_source": "website", "limit": 500})
    assert accepted["aggregate_id"] in [r["lead_id"] for r in listed.json()["items"]]


def test_a_command_the_rules_refuse_is_reported_rejected_with_the_reason(api: Api) -> None:
    posted = api.writer.post("/v1/commands/AssignLead",
                             json={"aggregate_id": "LD-NOT-THERE", "sales_rep_id": "R1"})
    assert posted.status_code == 202, posted.text
    status = _status(api, posted.json()["command_id"])
    assert status["status"] == "rejected"
    assert status["reason"] and status["event_ids"] == []


class OwnCaptureLeadId(BuiltinSchemaIds):
    """Schema ids as a registry the core is not pointed at would give them: CaptureLead's
    is one only this codec knows, so the core cannot decode it and dead-letters it."""

    OWN = 0x7FFF0001

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        if schema["name"].endswith("CaptureLead"):
            self.own = schema
            return self.OWN
        return super().id_for(subject, schema)

    def schema_for(self, schema_id: int) -> dict[str, Any] | None:
        return self.own if schema_id == self.OWN else super().schema_for(schema_id)


def test_a_command_the_core_dead_letters_is_reported_dead_lettered_with_the_reason(
    services: Services,
) -> None:
    skewed = copy.copy(services)  # a second server whose codec the core's does not match
    skewed.__dict__["codec"] = AvroCodec(OwnCaptureLeadId())
    form = {**FORM, "company_name": "Set Aside Fabricators", "email": "asha@aside.example"}
    with serving(skewed) as other:
        posted = other.writer.post("/v1/leads", json=form)
        assert posted.status_code == 202, posted.text
        status = _status(other, posted.json()["command_id"], within=60)
    reason = f"unknown schema id {OwnCaptureLeadId.OWN}"
    assert (status["status"], status["event_ids"], status["visible"]) == \
        ("dead_lettered", [], False), status
    assert status["reason"].startswith(reason), status
    letters = list_dead_letters(services.bootstrap, services.kafka_extra, limit=None,
                                source_topic=COMMANDS)
    assert [e.letter.reason for e in letters if e.letter.reason.startswith(reason)], letters


def test_a_retry_with_the_same_idempotency_key_gets_the_same_command_and_sends_nothing_new(
    api: Api,
) -> None:
    headers = {"Idempotency-Key": "form-4711"}
    first = api.writer.post("/v1/leads", json=FORM, headers=headers)
    again = api.writer.post("/v1/leads", json=FORM, headers=headers)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = api.writer.post("/v1/leads", json={**FORM, "company_name": "Other"},
                            headers=headers)
    assert other.status_code == 409
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    fresh = api.writer.post("/v1/leads", json=FORM)
    assert fresh.json()["command_id"] != first.json()["command_id"]


def test_keys_decide_who_may_write_and_read(api: Api) -> None:
    assert api.anonymous.get("/v1/leads").status_code == 401
    wrong = httpx.get(f"{api.base}/v1/leads", headers={"X-API-Key": "guess"})
    assert wrong.status_code == 401
    assert WRITER not in wrong.text and "guess" not in wrong.text
    assert api.analyst.post("/v1/leads", json=FORM).status_code == 403
    assert api.analyst.post("/v1/commands/CaptureLead", json=FORM).status_code == 403
    assert api.analyst.get("/v1/reports/pipeline").status_code == 200
    assert api.anonymous.get("/openapi.json").status_code == 200
    assert api.anonymous.get("/docs").status_code == 200


def test_bad_input_gets_422_with_the_field_and_the_reason(api: Api) -> None:
    too_long = api.writer.post("/v1/leads", json={**FORM, "company_name": "x" * 201})
    bad_enum = api.writer.post("/v1/leads", json={**FORM, "lead_source": "billboard"})
    bad_money = api.writer.post("/v1/commands/CaptureLead", json={
        "company_name": "A", "lead_source": "website",
        "estimated_deal_value": "12345678901234567.00"})
    missing = api.writer.post("/v1/leads", json={"company_name": "A"})
    too_big = api.writer.post("/v1/commands/CaptureLead", json={
        "company_name": "A", "lead_source": "website", "number_of_employees": 2**31})
    assert [r.status_code for r in (too_long, bad_enum, bad_money, missing, too_big)] == \
        [422] * 5
    assert too_long.json()["detail"][0]["loc"] == ["body", "company_name"]
    assert bad_enum.json()["detail"][0]["loc"] == ["body", "lead_source"]
    assert bad_money.json()["detail"][0]["loc"][:2] == ["body", "estimated_deal_value"]
    assert {tuple(e["loc"]) for e in missing.json()["detail"]} >= {
        ("body", "email"), ("body", "contact_first_name"), ("body", "lead_source")}
    assert "number_of_employees" in too_big.json()["detail"][0]["msg"]


def test_every_seed_report_runs(api: Api) -> None:
    for name in ("lead-funnel", "pipeline", "rep-performance", "account-health",
                 "forecast-accuracy", "campaign-roi", "case-sla"):
        report = api.analyst.get(f"/v1/reports/{name}")
        assert report.status_code == 200, (name, report.text)
        assert report.json()["columns"]
    assert api.analyst.get("/v1/reports/nope").status_code == 422


def _applied(api: Api, path: str, body: dict[str, Any]) -> str:
    """POST a command, wait until it is applied and visible: its command id."""
    posted = api.writer.post(path, json=body)
    assert posted.status_code == 202, posted.text
    status = _status(api, posted.json()["command_id"])
    assert (status["status"], status["visible"]) == ("applied", True), status
    return str(posted.json()["command_id"])


def test_a_records_history_and_a_report_as_of_a_moment_of_it(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a source no other test posts before this one: the as-of counts are this lead's
    form = {**FORM, "company_name": "Narmada Gear Works", "email": "ravi@narmada.example",
            "lead_source": "partner"}
    posted = api.writer.post("/v1/leads", json=form)
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["aggregate_id"]
    assert _status(api, posted.json()["command_id"])["visible"]
    disqualified = _applied(api, "/v1/commands/DisqualifyLead",
                            {"aggregate_id": lead_id, "reason": "no budget this year"})
    nurtured = _applied(api, "/v1/commands/NurtureLead",
                        {"aggregate_id": lead_id, "reason": "ask again in Q3"})

    answer = api.analyst.get(f"/v1/leads/{lead_id}/history")
    assert answer.status_code == 200, answer.text
    changes = answer.json()
    assert changes[0]["column_name"] == "(created)"
    assert changes[0]["event_type"] == "LeadCaptured"
    assert [c["changed_at"] for c in changes] == sorted(c["changed_at"] for c in changes)
    status = [(c["old_value"], c["new_value"], c["event_type"], c["command_id"], c["actor"])
              for c in changes if c["column_name"] == "lead_status"]
    assert status == [  # who: the user of the writer key that posted them
        ("new", "unqualified", "LeadDisqualified", disqualified, WRITER_USER),
        ("unqualified", "nurturing", "LeadNurtured", nurtured, WRITER_USER)]
    # the same rows `crm history` prints, from the same query
    assert changes == [{**r, "changed_at": r["changed_at"].isoformat()}
                       for r in record_history(services.engine, lead_id)]

    at = next(c["changed_at"] for c in changes if c["event_type"] == "LeadDisqualified")
    before = datetime.fromisoformat(changes[0]["changed_at"]) - timedelta(microseconds=1)

    def partner_leads(moment: str) -> int:
        report = api.analyst.get("/v1/reports/lead-funnel", params={"as_of": moment})
        assert report.status_code == 200, report.text
        rows = [dict(zip(report.json()["columns"], r, strict=True))
                for r in report.json()["rows"]]
        return sum(r["total_leads"] for r in rows if r["lead_source"] == "partner")

    assert partner_leads(before.isoformat()) + 1 == partner_leads(at)
    # the record and the lists as of a moment: the same as-of tables, one row rebuilt
    def lead_at(moment: str) -> httpx.Response:
        return api.analyst.get(f"/v1/leads/{lead_id}", params={"as_of": moment})

    assert lead_at(before.isoformat()).status_code == 404  # not captured yet
    assert (lead_at(changes[0]["changed_at"]).json()["lead_status"],
            lead_at(at).json()["lead_status"]) == ("new", "unqualified")
    live = api.analyst.get(f"/v1/leads/{lead_id}").json()
    assert lead_at(datetime.now(UTC).isoformat()).json() == {
        k: v for k, v in live.items() if k != "updated_at"}  # as of now: today's row

    def unqualified(moment: str) -> list[str]:
        page = api.analyst.get("/v1/leads", params={
            "lead_status": "unqualified", "as_of": moment, "limit": MAX_PAGE})
        assert page.status_code == 200, page.text
        return [item["lead_id"] for item in page.json()["items"]]

    nurtured_at = next(c["changed_at"] for c in changes if c["event_type"] == "LeadNurtured")
    assert lead_id in unqualified(at) and lead_id not in unqualified(nurtured_at)
    # the API's as-of report is the CLI's `crm report NAME --as-of T`
    monkeypatch.setattr(bootstrap, "bootstrap", lambda: SimpleNamespace(
        engine=services.engine))
    for name in ("lead-funnel", "pipeline", "case-sla"):
        shown = CliRunner().invoke(cli, ["report", name, "--as-of", at, "--format", "json"])
        assert shown.exit_code == 0, shown.output
        report = api.analyst.get(f"/v1/reports/{name}", params={"as_of": at}).json()
        assert [dict(zip(report["columns"], r, strict=True)) for r in report["rows"]] == \
            json.loads(shown.output), name


def test_history_and_as_of_refuse_bad_input_with_a_4xx(api: Api) -> None:
    unknown = api.analyst.get("/v1/leads/LD-NOT-THERE/history")
    assert unknown.status_code == 404
    assert unknown.json()["detail"].startswith("no history of lead 'LD-NOT-THERE'")
    assert api.anonymous.get("/v1/leads/LD-NOT-THERE/history").status_code == 401
    lead_id = api.analyst.get("/v1/leads", params={"limit": 1}).json()["items"][0]["lead_id"]
    assert api.analyst.get(f"/v1/leads/{lead_id}/history").status_code == 200
    assert api.analyst.get(f"/v1/accounts/{lead_id}/history").status_code == 404
    bad = api.analyst.get("/v1/reports/pipeline", params={"as_of": "last Tuesday"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "as_of"]
    assert "not a date or timestamp" in bad.json()["detail"][0]["msg"]


def test_the_trends_over_http_are_the_command_lines(
    api: Api, services: Services, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # an open deal today: a rep, a lead qualified by its BANT answers, converted
    rep = api.writer.post("/v1/commands/HireSalesRep", json={
        "first_name": "Meera", "last_name": "Rao", "sales_role": "AE"})
    assert rep.status_code == 202, rep.text
    assert _status(api, rep.json()["command_id"])["status"] == "applied"
    # referral, enterprise, a target industry and four BANT yeses: past the score of 60
    posted = api.writer.post("/v1/commands/CaptureLead", json={
        **FORM, "company_name": "Godavari Pumps", "email": "meera@godavari.example",
        "lead_source": "referral", "company_size": "enterprise", "industry": "Energy"})
    assert posted.status_code == 202, posted.text
    lead_id = posted.json()["aggregate_id"]
    assert _status(api, posted.json()["command_id"])["visible"]
    _applied(api, "/v1/commands/AssessLeadBant", {
        "aggregate_id": lead_id, "has_budget": True, "is_decision_maker": True,
        "has_identified_need": True, "has_timeline": True})
    _applied(api, "/v1/commands/ConvertLead", {"aggregate_id": lead_id,
                                               "converted_by": rep.json()["aggregate_id"]})

    today = datetime.now(UTC).date()
    options = {"from": (today - timedelta(days=7)).isoformat(), "to": today.isoformat(),
               "every": "3"}
    monkeypatch.setattr(bootstrap, "bootstrap", lambda: SimpleNamespace(
        engine=services.engine, rules=services.rules))
    for name, extra in (("pipeline-trend", {}),
                        ("forecast-trend", {"closing_from": today.isoformat(),
                                            "closing_to": "2099-12-31"})):
        answer = api.analyst.get(f"/v1/reports/{name}", params={**options, **extra})
        assert answer.status_code == 200, answer.text
        trend = answer.json()
        rows = [dict(zip(trend["columns"], r, strict=True)) for r in trend["rows"]]
        assert rows and {r["as_of"] for r in rows} == {today.isoformat()}, rows
        assert sum(r["opportunity_count"] for r in rows) >= 1
        argv = ["report", name, "--format", "json"] + [
            a for k, v in {**options, **extra}.items()
            for a in (f"--{k.replace('_', '-')}", v)]
        shown = CliRunner().invoke(cli, argv)
        assert shown.exit_code == 0, shown.output
        assert rows == json.loads(shown.output), name
    assert api.anonymous.get("/v1/reports/pipeline-trend").status_code == 401


def test_the_api_honours_its_openapi_contract(api: Api) -> None:
    """Every operation fuzzed by schemathesis (valid and invalid input) against the
    running server: no 5xx, only documented statuses and response shapes, invalid input
    refused. Not checked: that every schema-valid body is accepted, since the domain's
    bounds on a decimal's string form ("quantity" > 0) and its model-level checks are
    not all expressible in JSON Schema (they answer 422, with the reason)."""
    schema = schemathesis.openapi.from_url(f"{api.base}/openapi.json", timeout=60)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 80  # every command, the form, status, records, reports

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=3, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers={"X-API-Key": WRITER},
                                   excluded_checks=[positive_data_acceptance])

        fuzz()


def test_command_rows_older_than_the_retention_are_pruned(services: Services) -> None:
    def claimed(command_id: str) -> None:
        store.claim(services.engine, store.CommandRecord(
            command_id=command_id, command_type="CaptureLead", aggregate_id="LD-X",
            request_hash="h", command="{}"))

    claimed("old-row")
    claimed("fresh-row")
    with services.engine.begin() as conn:
        conn.execute(update(store.commands).where(store.commands.c.command_id == "old-row")
                     .values(submitted_at=datetime.now(UTC) - timedelta(days=7, minutes=1)))
    tracking = Tracker(services.engine, services.bootstrap, services.codec,
                       services.kafka_extra, retention=timedelta(days=7))
    assert tracking.prune() == 1
    assert store.get(services.engine, "old-row") is None
    assert store.get(services.engine, "fresh-row") is not None
