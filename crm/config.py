"""Runtime configuration, read once from the environment.

Every setting the CLI and the adapters need lives here, with its default. Nothing in
`domain/` reads this: business thresholds live in `domain.rules_config`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None


@dataclass(frozen=True)
class KafkaSecurity:
    """librdkafka security settings passed through verbatim (SASL/SCRAM, TLS)."""

    protocol: str | None = None
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    ssl_ca_location: str | None = None

    def librdkafka(self) -> dict[str, str]:
        """The settings as a confluent-kafka configuration fragment."""
        conf = {
            "security.protocol": self.protocol,
            "sasl.mechanism": self.sasl_mechanism,
            "sasl.username": self.sasl_username,
            "sasl.password": self.sasl_password,
            "ssl.ca.location": self.ssl_ca_location,
        }
        return {k: v for k, v in conf.items() if v}


@dataclass(frozen=True)
class Settings:
    """Where state lives and which servers to talk to.

    `database_url` / `kafka_bootstrap` set means "use that server, start nothing embedded".
    """

    home: Path
    database_url: str | None
    kafka_bootstrap: str | None
    schema_registry_url: str | None
    kafka_security: KafkaSecurity
    log_level: str = "INFO"

    @property
    def state_file(self) -> Path:
        return self.home / "stack.json"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"


def load_settings() -> Settings:
    """Read the CRM_* environment variables (see README, "Configuration")."""
    return Settings(
        home=Path(_env("CRM_HOME") or "./.crm").resolve(),
        database_url=_env("CRM_DATABASE_URL"),
        kafka_bootstrap=_env("CRM_KAFKA_BOOTSTRAP"),
        schema_registry_url=_env("CRM_SCHEMA_REGISTRY_URL"),
        kafka_security=KafkaSecurity(
            protocol=_env("CRM_KAFKA_SECURITY_PROTOCOL"),
            sasl_mechanism=_env("CRM_KAFKA_SASL_MECHANISM"),
            sasl_username=_env("CRM_KAFKA_SASL_USERNAME"),
            sasl_password=_env("CRM_KAFKA_SASL_PASSWORD"),
            ssl_ca_location=_env("CRM_KAFKA_SSL_CA_LOCATION"),
        ),
        log_level=_env("CRM_LOG_LEVEL") or "INFO",
    )
