"""Our partitioner agrees with Kafka's Java/aiokafka default partitioner."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner

from producers.partitioner import murmur2, partition_for


def test_murmur2_matches_the_reference_values_of_the_java_client() -> None:
    # Values from Kafka's UtilsTest.testMurmur2 (signed ints there).
    cases = {b"21": -973932308, b"foobar": -790332482, b"a-little-bit-long-string": -985981536,
             b"a-little-bit-longer-string": -1486304829,
             b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
             b"abc": 479470107}
    for data, signed in cases.items():
        assert murmur2(data) == signed & 0xFFFFFFFF


def test_partition_for_matches_aiokafka_default_partitioner() -> None:
    partitioner = DefaultPartitioner()
    for n in range(500):
        key = f"LD-{n:06d}".encode()
        assert partition_for("crm.leads", key) == partitioner(key, [0, 1, 2], [0, 1, 2])
