"""The Confluent Schema Registry client over a real HTTP round trip.

A tiny in-process server implements the two endpoints the serde uses
(`POST /subjects/{subject}/versions`, `GET /schemas/ids/{id}`) with the registry's
response shapes and error codes.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest

from domain.kernel.messages import utc
from domain.leads.messages import CaptureLead, LeadCaptured
from events.codec import AvroCodec, DecodeError, subject_for
from events.registry import ConfluentSchemaIds, SchemaRegistryError


class FakeRegistry(ThreadingHTTPServer):
    """Schemas by id, subjects -> ids, and a log of the requests."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ids: dict[str, int] = {}
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[tuple[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        self.server.requests.append(("POST", self.path))
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "subjects" or parts[2] != "versions":
            return self._reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        schema = json.dumps(json.loads(body["schema"]), sort_keys=True)
        schema_id = self.server.ids.setdefault(schema, len(self.server.ids) + 1)
        versions = self.server.subjects.setdefault(unquote(parts[1]), [])
        if schema_id not in versions:
            versions.append(schema_id)
        self._reply(200, {"id": schema_id})

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(("GET", self.path))
        parts = self.path.strip("/").split("/")
        if len(parts) == 3 and parts[:2] == ["schemas", "ids"]:
            for schema, schema_id in self.server.ids.items():
                if schema_id == int(parts[2]):
                    return self._reply(200, {"schema": schema})
            return self._reply(404, {"error_code": 40403, "message": "Schema not found"})
        self._reply(404, {"error_code": 404, "message": "HTTP 404 Not Found"})


@pytest.fixture
def registry() -> Iterator[FakeRegistry]:
    server = FakeRegistry()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _lead() -> LeadCaptured:
    return LeadCaptured(event_id="e1", aggregate_id="L1", occurred_at=utc(2026, 3, 1),
                        company_name="Tata Steel", lead_source="website", lead_number="LEAD-1")


def test_subjects_follow_the_topic_record_name_strategy() -> None:
    assert subject_for(LeadCaptured) == "crm.leads-genims.crm.LeadCaptured"
    assert subject_for(CaptureLead) == "crm.commands-genims.crm.CaptureLead"


def test_encode_registers_once_and_another_process_decodes_by_id(
        registry: FakeRegistry) -> None:
    producer = AvroCodec(ConfluentSchemaIds(registry.url))
    data = producer.encode(_lead())
    producer.encode(_lead())  # cached: no second registration
    assert registry.subjects == {"crm.leads-genims.crm.LeadCaptured": [1]}
    assert int.from_bytes(data[1:5], "big") == 1

    consumer = AvroCodec(ConfluentSchemaIds(registry.url))  # empty caches
    assert consumer.decode(data) == _lead()
    assert consumer.decode(data) == _lead()
    assert registry.requests.count(("GET", "/schemas/ids/1")) == 1

    producer.encode(CaptureLead(event_id="c1", aggregate_id="L2", occurred_at=utc(2026, 3, 1),
                                company_name="X", lead_source="partner"))
    assert "crm.commands-genims.crm.CaptureLead" in registry.subjects


def test_an_id_the_registry_does_not_know_is_a_decode_error(registry: FakeRegistry) -> None:
    codec = AvroCodec(ConfluentSchemaIds(registry.url))
    with pytest.raises(DecodeError, match="unknown schema id 999"):
        codec.decode(b"\x00\x00\x00\x03\xe7payload")


def test_registry_outages_raise_instead_of_dead_lettering(registry: FakeRegistry) -> None:
    wrong_path = ConfluentSchemaIds(registry.url + "/not-a-registry")
    with pytest.raises(SchemaRegistryError, match="404"):
        wrong_path.schema_for(1)
    down = ConfluentSchemaIds("http://127.0.0.1:9", timeout=1.0)
    with pytest.raises(SchemaRegistryError, match="unreachable"):
        AvroCodec(down).encode(_lead())
