"""Create the topic map on a cluster, idempotently."""

from __future__ import annotations

from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from events.topics import TOPICS, TopicSpec


def missing_topics(bootstrap: str, extra: dict[str, Any] | None = None,
                   topics: tuple[TopicSpec, ...] = TOPICS, timeout: float = 30.0) -> list[str]:
    """The names of `topics` the cluster does not have (all of them before `crm init`)."""
    admin = AdminClient({"bootstrap.servers": bootstrap, **(extra or {})})
    existing = set(admin.list_topics(timeout=timeout).topics)
    return [t.name for t in topics if t.name not in existing]


def ensure_topics(bootstrap: str, extra: dict[str, Any] | None = None,
                  topics: tuple[TopicSpec, ...] = TOPICS, timeout: float = 30.0) -> list[str]:
    """Create the missing topics; returns the names created (empty when all exist)."""
    admin = AdminClient({"bootstrap.servers": bootstrap, **(extra or {})})
    absent = set(missing_topics(bootstrap, extra, topics, timeout))
    missing = [t for t in topics if t.name in absent]
    if not missing:
        return []
    futures = admin.create_topics([
        NewTopic(t.name, num_partitions=t.partitions, replication_factor=-1,
                 config={"retention.ms": str(t.retention_ms)})
        for t in missing
    ], request_timeout=timeout)
    created = []
    for name, future in futures.items():
        try:
            future.result(timeout)
            created.append(name)
        except KafkaException as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc):
                raise
    return sorted(created)
