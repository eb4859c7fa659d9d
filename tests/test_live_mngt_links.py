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

from pathlib import Path

import pytest

from live_cluster import missing_requirement
from live_scenarios import healthy, move_group, peer
from test_live_pacemakerd import management_cell

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(bool(missing_requirement()), reason=missing_requirement() or "")]

FOLDERLESS = {"/usr/lib/clustmngt/rms/etc": "/usrha/lib/clustmngt/rms/etc",
              "/usr/lib/rms/msql": "/usrha/lib/rms/msql"}


def rms_on(site: dict) -> None:
    site["management"]["optional_groups"]["rms"] = True
    site["pacemaker"]["units"].update({"msqld": "msqld", "harms": "harms"})    # the site's own


@pytest.fixture(scope="module")
def cell(tmp_path_factory):
    yield from management_cell(tmp_path_factory, "live-links", rms_on)


def test_links_whose_folders_no_fresh_node_has_start_and_move_with_the_group(cell):
    for link in FOLDERLESS:
        assert not Path(link).parent.exists(), f"this machine (every node's lower layer) has {link}'s folder"
        assert link in cell.cib.xpath("//primitive[@type='symlink']//nvpair[@name='link']/@value")
    active = healthy(cell)
    for node in (active, peer(cell, active)):
        move_group(cell, node)
        for link, target in FOLDERLESS.items():
            assert cell.run(node, "readlink", link).stdout.strip() == target, f"{link} on {node}"
