"""Kafka's default (Java) partitioner: murmur2 of the key.

The faust workers (aiokafka) and the Java clients place keys this way; our confluent-kafka
producers compute the same partition explicitly, so an aggregate's events land in one
partition whoever produced them, and a backfill can tell exactly what is already there.
"""

from __future__ import annotations

from functools import cache, lru_cache

from events.topics import TOPICS

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash (org.apache.kafka.common.utils.Utils.murmur2), unsigned."""
    length = len(data)
    h = (0x9747B28C ^ length) & _MASK
    for i in range(0, length - length % 4, 4):
        k = data[i] | data[i + 1] << 8 | data[i + 2] << 16 | data[i + 3] << 24
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & ~3
    extra = length % 4
    if extra == 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


@cache
def partitions_of(topic: str) -> int:
    """Partition count of a topic in the topic map."""
    for spec in TOPICS:
        if spec.name == topic:
            return spec.partitions
    raise KeyError(f"{topic} is not in the topic map")


@lru_cache(maxsize=1 << 17)
def partition_for(topic: str, key: str | bytes) -> int:
    """The partition Kafka's default partitioner picks for `key`.

    Cached: a backfill places many records on each aggregate key, and murmur2 in Python
    stood out in the publishing profile (docs/benchmarks.md, optimisation 9).
    """
    raw = key.encode() if isinstance(key, str) else key
    return (murmur2(raw) & 0x7FFFFFFF) % partitions_of(topic)
