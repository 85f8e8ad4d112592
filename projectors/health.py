"""The health columns of accounts rows, from the health rule's account events."""

from __future__ import annotations

from domain.accounts.messages import AccountHealthScored
from projectors.projection import Upsert, projects, upsert


@projects(AccountHealthScored)
def account_health_scored(e: AccountHealthScored) -> list[Upsert]:
    """health_score, churn_risk and, when the risk crossed 'high', relationship_status."""
    values: dict[str, object] = {"health_score": e.health_score, "churn_risk": e.churn_risk}
    if e.relationship_status is not None:
        values["relationship_status"] = e.relationship_status
    return [upsert("accounts", e, {"account_id": e.aggregate_id}, **values,
                   updated_at=e.occurred_at)]
