"""The projectors' consumer positions, kept in PostgreSQL (`crm_meta.projector_offsets`).

They never go to Kafka: `save_offsets` writes them in the caller's transaction, the one
that writes the batch's rows, so rows and positions commit or roll back together.
"""

from __future__ import annotations

from typing import Any

from psycopg2.extensions import connection as PgConnection
from psycopg2.extras import execute_values

OFFSETS_TABLE = "crm_meta.projector_offsets"


def load_offsets(conn: PgConnection, group: str) -> dict[tuple[str, int], int]:
    """The next offset to read per (topic, partition) for a consumer group."""
    with conn.cursor() as cur:
        cur.execute(
            f"SELECT topic, partition, next_offset FROM {OFFSETS_TABLE} WHERE consumer_group = %s",
            (group,),
        )
        return {(t, p): o for t, p, o in cur.fetchall()}


def offsets_sql(cur: Any, group: str, offsets: dict[tuple[str, int], int]) -> str:
    """`save_offsets`' statement as text ("" for no offsets), for a caller that sends it
    in the same round trip as the batch's last statement (projectors/commit.py)."""
    if not offsets:
        return ""
    values = ", ".join(cur.mogrify("(%s, %s, %s, %s, now())", (group, t, p, o)).decode()
                       for (t, p), o in sorted(offsets.items()))
    return (f"INSERT INTO {OFFSETS_TABLE} (consumer_group, topic, partition, next_offset, "
            f"updated_at) VALUES {values} ON CONFLICT (consumer_group, topic, partition) DO "
            "UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()")


def save_offsets(conn: PgConnection, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Record positions inside the caller's transaction."""
    if not offsets:
        return
    rows = [(group, t, p, o) for (t, p), o in sorted(offsets.items())]
    with conn.cursor() as cur:
        execute_values(
            cur,
            f"INSERT INTO {OFFSETS_TABLE} (consumer_group, topic, partition, next_offset, "
            "updated_at) VALUES %s ON CONFLICT (consumer_group, topic, partition) DO UPDATE "
            "SET next_offset = EXCLUDED.next_offset, updated_at = now()",
            rows,
            template="(%s, %s, %s, %s, now())",
        )
