"""Dead letters: a message we cannot use, kept whole with the reason it was refused."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeadLetter:
    """Original bytes plus where they came from and why they were refused."""

    original: bytes
    reason: str
    source_topic: str
    source_partition: int = -1
    source_offset: int = -1
    key: bytes | None = None

    def headers(self) -> dict[str, bytes]:
        """Kafka headers carried with the original bytes on the dead-letter topic."""
        return {
            "dlq.reason": self.reason.encode()[:2000],
            "dlq.source.topic": self.source_topic.encode(),
            "dlq.source.partition": str(self.source_partition).encode(),
            "dlq.source.offset": str(self.source_offset).encode(),
        }

    @classmethod
    def from_headers(cls, value: bytes, key: bytes | None,
                     headers: list[tuple[str, bytes]] | None) -> DeadLetter:
        """Rebuild a dead letter read back from the dead-letter topic."""
        h = {k: v.decode(errors="replace") for k, v in (headers or [])}
        return cls(value, h.get("dlq.reason", ""), h.get("dlq.source.topic", ""),
                   int(h.get("dlq.source.partition", -1)), int(h.get("dlq.source.offset", -1)),
                   key)
