"""`crm kafka status` names the active KRaft controller: the leader of the newest epoch in
the running nodes' quorum-state files (clients are told a random broker instead; see
docs/kafka.md, "Failover"). No JVM: the files are written here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localstack.kafka.layout import Cluster
from localstack.kafka.nodes import Node


def cluster_with(tmp: Path, states: dict[int, dict[str, int] | None],
                 running: set[int]) -> Cluster:
    """Three nodes; `states[id]`: the node's quorum-state (None: no file yet)."""
    found = Cluster(tmp, "4.1.1", "id", "512m", [Node(i, 9000 + i, 9100 + i) for i in (1, 2, 3)])
    for node_id, state in states.items():
        if state is not None:
            folder = found.data(node_id) / "__cluster_metadata-0"
            folder.mkdir(parents=True)
            (folder / "quorum-state").write_text(json.dumps(
                {"clusterId": "", "votedId": -1, "appliedOffset": 0, "data_version": 0,
                 **state}))
    for node in found.nodes:
        node.alive = lambda node_id=node.id: node_id in running  # type: ignore[method-assign]
    return found


def test_the_active_controller_is_the_leader_of_the_newest_epoch_among_running_nodes(
    tmp_path: Path,
) -> None:
    states = {1: {"leaderId": 1, "leaderEpoch": 6},  # killed: still names itself
              2: {"leaderId": 3, "leaderEpoch": 7}, 3: {"leaderId": 3, "leaderEpoch": 7}}

    assert cluster_with(tmp_path, states, running={2, 3}).active_controller() == 3
    assert cluster_with(tmp_path / "b", states, running={2, 3}).status()["controller"] == 3


@pytest.mark.parametrize("states, running", [
    ({1: {"leaderId": -1, "leaderEpoch": 8}, 2: {"leaderId": 3, "leaderEpoch": 7}}, {1, 2}),
    ({1: None, 2: None, 3: None}, {1, 2, 3}),
    ({1: {"leaderId": 2, "leaderEpoch": 3}}, set()),
])
def test_there_is_none_during_an_election_before_any_or_with_no_node_running(
    tmp_path: Path, states: dict[int, dict[str, int] | None], running: set[int],
) -> None:
    assert cluster_with(tmp_path, states, running).active_controller() is None
