"""Issue 21, "Proof with the real daemons": xena's two Lustre pairs of
examples/xena/site-el9.yaml on the real daemons, as tests/test_live_xena.py does its NFS
cell: the MDS pair (xena1/xena2) and the OSS pair (xena10/xena12). Each pair is
active/active, each target preferring one node (ocf:lustre:Lustre is not installed here:
a stand-in under the same ids). Every service's place after each scenario is compared with the
audit's.

The MDS pair's start, a server unplugged with its rejoin, and a failed stop run by default
(about 1.5 minutes here: a second example's cell in CI); the rest of the MDS pair's plays and
the whole OSS pair are opt-in (HAGEN_LIVE=1): about 5 minutes a pair here (bring-up ~30 s,
a dark BMC ~78 s, the power lost with the BMC ~69 s, the others 15 s to 35 s each).
"""

from __future__ import annotations

import pytest

import live_plays as plays
from live_cluster import missing_requirement
from live_scenarios import healthy, predicted, unplug_and_rejoin
from test_live_pacemakerd import FULL_ONLY
from test_live_xena import xena_cell

pytestmark = [pytest.mark.live,
              pytest.mark.skipif(bool(missing_requirement()), reason=missing_requirement() or "")]


@pytest.fixture(scope="module", params=["xena_mds", pytest.param("xena_oss", marks=FULL_ONLY)])
def cell(tmp_path_factory, request):
    yield from xena_cell(tmp_path_factory, request.param)


def expected(prediction: dict, before: dict) -> dict:
    return {service: prediction["moves"].get(service, node) for service, node in before.items()}


def test_each_target_starts_on_the_node_it_prefers(cell):
    healthy(cell)
    assert plays.places(cell, cell.nodes[0]) == {s["name"]: s["members"][0]
                                           for s in cell.notes["audit"]["services"]}
    for node in cell.nodes:
        assert cell.where(cell.nodes[0], f"fence_{node}"), f"fence_{node} (fence_ipmilan) runs"


def test_unplugged_server_is_fenced_and_its_targets_start_beside_the_peers(cell):
    before = plays.places(cell, cell.nodes[0])
    outcome = unplug_and_rejoin(cell)
    print(f"Lustre failover of {'/'.join(cell.nodes)} after power loss: {outcome['failover_seconds']:.0f} s")
    prediction = predicted(cell, "node_crash", "{active}", outcome["lost"])
    assert prediction["fenced"] == [outcome["lost"]], prediction
    # read after the rejoin: the audit's node_rejoins (no failback) leaves them where they went
    assert plays.places(cell, outcome["survivor"]) == expected(prediction, before)
    rejoin = predicted(cell, "node_rejoins", outcome["lost"], cell.nodes[0])
    assert rejoin["fenced"] == [] and rejoin["moves"] == {}, rejoin
    # the services only: the lost node's fence device may start on the survivor after the
    # MDT did (a stonith resource is placed after the services), a start, not a restart
    services = {f"{r}_last_0" for s in cell.notes["audit"]["services"] for r in s["resources"]}
    assert services.isdisjoint(outcome["restarted_on_survivor"]), outcome


# --- the rest of the audit's failures, played as on every cell (tests/live_plays.py) ---------

@FULL_ONLY
def test_corosync_killed_on_a_server_gets_it_fenced_and_its_targets_move(cell):
    plays.corosync_killed(cell, cell.nodes[0]).check()


def test_a_failed_stop_gets_the_server_fenced_and_every_target_it_ran_moves(cell):
    plays.failed_stop(cell, cell.nodes[1]).check()


@FULL_ONLY
def test_a_targets_monitor_failure_moves_that_target_alone(cell):
    plays.monitor_failure(cell, cell.group).check()


@FULL_ONLY
def test_a_bmc_unreachable_fails_its_fence_device_and_the_targets_run_on(cell):
    plays.fence_device_lost(cell, cell.nodes[1]).check()


@FULL_ONLY
def test_knet_link_1_lost_on_a_server_changes_nothing(cell):
    plays.knet_link_lost(cell, 1, cell.nodes[0]).check()


@FULL_ONLY
def test_the_admin_network_down_changes_nothing_for_the_targets(cell):
    plays.network_down(cell, "admin").check()


@FULL_ONLY
def test_a_server_lost_with_its_bmc_is_fenced_through_sbd(cell):
    plays.power_lost_with_bmc(cell, cell.nodes[0]).check()


@FULL_ONLY
def test_cib_apply_on_the_live_pair_keeps_the_operators_state(cell):
    plays.cib_apply_keeps_operator_state(cell)
