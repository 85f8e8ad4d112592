"""A Confluent Schema Registry client: the `SchemaIds` source used when
CRM_SCHEMA_REGISTRY_URL is set.

Only the two calls a serde needs, over the registry's REST API with httpx:
`POST /subjects/{subject}/versions` registers a schema (idempotent: an existing schema
returns its id) and `GET /schemas/ids/{id}` fetches the writer schema of some bytes.
Subjects follow TopicRecordNameStrategy (`events.schema_ids.subject_for`), so several event
types share a topic, each with its own compatibility history. Both directions are cached:
a schema is registered once per process, an id fetched once.
"""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA_NOT_FOUND = 40403


class SchemaRegistryError(RuntimeError):
    """The registry refused a request (e.g. an incompatible schema) or is unreachable."""


class ConfluentSchemaIds:
    """`SchemaIds` backed by a Confluent Schema Registry at `url`.

    Credentials may be given in the URL (`https://key:secret@host`) or as `auth`.
    """

    def __init__(self, url: str, *, auth: tuple[str, str] | None = None, timeout: float = 10.0,
                 client: httpx.Client | None = None) -> None:
        parts = urlsplit(url)
        if parts.username and auth is None:
            auth = (parts.username, parts.password or "")
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        self.url = urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))
        self._client = client or httpx.Client(
            timeout=timeout, auth=auth, headers={"Accept": CONTENT_TYPE})
        self._owns_client = client is None
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        """Register `schema` under `subject` (if new) and return its global id."""
        key = (subject, json.dumps(schema, sort_keys=True, separators=(",", ":")))
        with self._lock:
            if key in self._ids:
                return self._ids[key]
        body = self._request("POST", f"/subjects/{quote(subject, safe='')}/versions",
                             payload={"schema": json.dumps(schema), "schemaType": "AVRO"})
        schema_id = int(body["id"])
        with self._lock:
            self._ids[key] = schema_id
            self._schemas.setdefault(schema_id, schema)
        return schema_id

    def schema_for(self, schema_id: int) -> dict[str, Any] | None:
        """The schema registered with this id, or None when the registry has no such id."""
        with self._lock:
            if schema_id in self._schemas:
                return self._schemas[schema_id]
        body = self._request("GET", f"/schemas/ids/{schema_id}", missing_ok=True)
        if body is None:
            return None
        if body.get("schemaType", "AVRO") != "AVRO":
            return None
        schema = json.loads(body["schema"])
        if not isinstance(schema, dict):
            return None
        with self._lock:
            self._schemas[schema_id] = schema
        return schema

    def close(self) -> None:
        """Close the HTTP client (when this object created it)."""
        if self._owns_client:
            self._client.close()

    def _request(self, method: str, path: str, payload: Any = None,
                 missing_ok: bool = False) -> dict[str, Any] | None:
        try:
            response = self._client.request(
                method, self.url + path, json=payload,
                headers={"Content-Type": CONTENT_TYPE} if payload is not None else None)
        except httpx.HTTPError as exc:
            raise SchemaRegistryError(f"schema registry {self.url} unreachable: {exc}") from exc
        if response.status_code >= 400:
            try:
                error = response.json()
                code, detail = error.get("error_code"), error.get("message", response.text)
            except (ValueError, AttributeError):
                code, detail = None, response.text
            if missing_ok and code == SCHEMA_NOT_FOUND:
                return None  # a plain 404 (wrong URL) is an outage, not an unknown id
            raise SchemaRegistryError(
                f"schema registry {method} {path} -> {response.status_code}: {detail}")
        body = response.json()
        if not isinstance(body, dict):
            raise SchemaRegistryError(f"schema registry {method} {path}: unexpected {body!r}")
        return body
