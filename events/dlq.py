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
                     headers: list[tuple[str, bytes | None]] | None) -> DeadLetter:
        """Rebuild a dead letter read back from the dead-letter topic.

        Anyone can produce onto that topic: a header that is missing, not UTF-8 or not a
        number reads as unknown ("" or -1) rather than stopping `crm dlq list` (fuzzing).
        """
        h = {k: (v or b"").decode(errors="replace") for k, v in (headers or [])}
        return cls(value, h.get("dlq.reason", ""), h.get("dlq.source.topic", ""),
                   _position(h.get("dlq.source.partition")),
                   _position(h.get("dlq.source.offset")), key)


def _position(text: str | None) -> int:
    """A partition or offset header's number; -1 when absent or not a plain number."""
    if text is None or len(text) > 20:  # int() of a long digit string is slow
        return -1
    try:
        return int(text)
    except ValueError:
        return -1
