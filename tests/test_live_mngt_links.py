"""Issue 21, item 7 on the real daemons: a link whose parent folder a fresh node lacks.

bas5-guide's management pair built with the rms group on (tests copy the example and turn
it on, naming the site's units for msqld and harms): hagen then writes the guide's links
/usr/lib/clustmngt/rms/etc and /usr/lib/rms/msql, whose folders exist on no fresh node (nor
on this machine, every node's lower layer). The symlink agent creates no folder: before
hagen's unlink-stale drop-in (run before pacemakerd, as EL9's pacemaker.service runs its
drop-ins' ExecStartPre) these links failed to start on both nodes and stopped the rest of
the group. Here the group starts, and moves to the peer, with the links in place.

Part of the default live run: 57 s here (bring-up 39 s, the moves 16 s).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLES
from live_cluster import LiveCell, missing_requirement, wait_for
from live_scenarios import GROUP, healthy, move_group, peer
from test_live_pacemakerd import build, cell_nodes, units_of

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(bool(missing_requirement()), reason=missing_requirement() or "")]

FOLDERLESS = {"/usr/lib/clustmngt/rms/etc": "/usrha/lib/clustmngt/rms/etc",
              "/usr/lib/rms/msql": "/usrha/lib/rms/msql"}


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    work = tmp_path_factory.mktemp("live-links")
    example = work / "bas5-guide"
    shutil.copytree(EXAMPLES / "bas5-guide", example)
    (example / "fence-password").chmod(0o600)
    site_path = example / "site-el9.yaml"
    site = yaml.safe_load(site_path.read_text())
    site["management"]["optional_groups"]["rms"] = True
    site["pacemaker"]["units"].update({"msqld": "msqld", "harms": "harms"})    # the site's own
    site_path.write_text(yaml.safe_dump(site, sort_keys=False))
    build(example, work / "out")
    live = LiveCell(work / "out", cell_nodes(work / "out"), work / "state", units=units_of(site_path))
    try:
        live.start()
        live.run(live.nodes[0], "/etc/hagen/cib-apply")
        wait_for(f"{GROUP} started", lambda: live.group_started_on(live.nodes[0], GROUP), 120, 1)
        yield live
    finally:
        live.destroy()


def test_links_whose_folders_no_fresh_node_has_start_and_move_with_the_group(cell):
    for link in FOLDERLESS:
        assert not Path(link).parent.exists(), f"this machine (every node's lower layer) has {link}'s folder"
        assert link in cell.cib.xpath("//primitive[@type='symlink']//nvpair[@name='link']/@value")
    active = healthy(cell)
    for node in (active, peer(cell, active)):
        move_group(cell, node)
        for link, target in FOLDERLESS.items():
            assert cell.run(node, "readlink", link).stdout.strip() == target, f"{link} on {node}"
