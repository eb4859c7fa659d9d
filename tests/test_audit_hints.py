"""Every audit hint names a change hagen accepts (a real site's first week): following
HA1010's and HA1001's hint (bond two slaves, for any HA node) and HA1000's (a port on
the controllers' network, named so as not to clash with <node>-bmc) builds, passes the
oracle, and makes the finding go."""

from __future__ import annotations

import re
import subprocess

from cli_runner import cli as run
from conftest import CHECK_TREE, requires_shared
from hagen.audit import compile_for_audit, document
from test_audit import _bmc_ports, cell, codes, variant

XENA_HA_NODES = "[xena1, xena2, xena10, xena12, xena11, xena13]"


def _hints(doc, code):
    return [f["hint"] for c in doc["cells"] for f in c["findings"] if f["code"] == code]


def test_HA1010s_hint_names_a_bond_hagen_writes_for_an_io_node(tmp_path):
    before = document(compile_for_audit(variant(tmp_path / "a", "xena")))
    hints = _hints(before, "HA1010")
    assert hints and all(re.search(r"network\.bonding\.bonds: .*nodes: \[xena\d+\]", h) for h in hints)
    bond = (f"\nnetwork:\n  bonding:\n    modprobe: modprobe.d\n    bonds:\n"
            f"    - {{name: bond0, network: admin, slaves: [eth0, eth4], nodes: {XENA_HA_NODES}}}\n")
    site = variant(tmp_path / "b", "xena")
    site.write_text(site.read_text() + bond)
    after = document(compile_for_audit(site))
    assert "HA1010" not in codes(after)
    link = next(ln for n in cell(after, "xena_oss")["nodes"] if n["name"] == "xena10" for ln in n["links"]
                if ln["network"] == "admin")
    assert link == {"network": "admin", "interface": "bond0", "slaves": ["eth0", "eth4"]}
    assert any(f["failure"] == "bond_slave_lost" for f in cell(after, "xena_oss")["failures"])
    out = tmp_path / "out"
    res = run("build", "--site", site, "--out", out)
    assert res.code == 0, res.output
    ifcfg = (out / "xena10" / "etc/sysconfig/network-scripts/ifcfg-bond0").read_text()
    assert "TYPE=Bonding" in ifcfg and "IPADDR=10.1.1.10" in ifcfg
    assert "MASTER=bond0" in (out / "xena10" / "etc/sysconfig/network-scripts/ifcfg-eth4").read_text()
    modprobe = (out / "xena10" / "etc/modprobe.d/bonding.conf").read_text()
    assert "alias bond0 bonding" in modprobe and "primary=eth0" in modprobe
    assert not (out / "xena20" / "etc/modprobe.d/bonding.conf").exists()      # a compute node: no bond
    if CHECK_TREE.exists():
        proc = subprocess.run([str(CHECK_TREE), str(out)], capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_node_bonds_on_el9_are_keyfiles(tmp_path):
    site = variant(tmp_path, "xena")
    el9 = site.parent / "site-el9.yaml"
    text = el9.read_text().replace("snapshot: clusterdb.yaml", "snapshot: clusterdb.json")
    el9.write_text(text + "\nnetwork:\n  bonding:\n    bonds:\n"
                   "    - {name: bond0, network: admin, slaves: [eth0, eth4], nodes: [xena10, xena12]}\n")
    out = tmp_path / "out"
    assert run("build", "--site", el9, "--out", out).code == 0
    key = (out / "xena12" / "etc/NetworkManager/system-connections/bond0.nmconnection").read_text()
    assert "type=bond" in key and "address1=10.1.1.12/16" in key and "mode=active-backup" in key
    assert (out / "xena12" / "etc/NetworkManager/system-connections/bond0-eth4.nmconnection").exists()


def test_node_bonds_are_checked(tmp_path):
    site = variant(tmp_path, "xena")
    site.write_text(site.read_text() + "\nnetwork:\n  bonding:\n    bonds:\n"
                    "    - {name: bond0, network: admin, slaves: [eth3, eth4], nodes: [xena10, xena20, nobody]}\n"
                    "    - {name: bond0, network: backbone, slaves: [eth1, eth5], nodes: [xena11]}\n"
                    "    - {name: bond1, network: backbone, slaves: [eth1], nodes: [xena11]}\n")
    res = run("check", "--site", site)
    assert res.code == 2
    assert re.search(r"nodes\[0\]: error HA161: xena10's address on admin is on eth0, which is not a slave", res.stderr)
    assert re.search(r"nodes\[1\]: error HA160: .*xena20, which is not a node of a Lustre or NFS cell", res.stderr)
    assert "nodes[2]: error HA160" in res.stderr
    assert re.search(r"error HA162: two bonds of xena11 share the network backbone", res.stderr)


def test_HA1000s_hint_names_a_port_that_does_not_clash_with_the_bmc_names(tmp_path):
    doc = document(compile_for_audit(variant(tmp_path / "a", "xena")))
    hint = next(h for c in doc["cells"] if c["name"] == "xena_mds" for f in c["findings"] if f["code"] == "HA1000"
                for h in [f["hint"]])
    assert "a port on the bmc network" in hint and "suffix other than 'bmc'" in hint and "xena1-fence" in hint

    def ports_only(t):                       # the hint's first half alone: the names clash
        _bmc_ports(t, [2, 3])
        next(n for n in t["network"] if n["function"] == "bmc")["suffix"] = "bmc"
    res = run("check", "--site", variant(tmp_path / "b", "xena", rows=ports_only))
    assert res.code == 2 and "HA813" in res.stderr
    site = variant(tmp_path / "c", "xena", rows=lambda t: _bmc_ports(t, [2, 3]))   # the whole hint
    assert run("build", "--site", site, "--out", tmp_path / "out").code == 0
    assert "HA1000" not in codes(document(compile_for_audit(site)), "xena_mds")


@requires_shared
def test_HA1001s_hint_on_the_management_pair_is_a_bond_it_accepts(tmp_path):
    site = variant(tmp_path, "bas5-guide", site_edits=[("slaves: [eth1, eth3], primary: eth1", "slaves: [eth1]")])
    doc = document(compile_for_audit(site))
    hints = _hints(doc, "HA1001")
    assert hints and all("network.bonding.bonds: name, network: backbone" in h and "nodes:" not in h for h in hints)


def test_a_bonded_io_node_keeps_its_route_on_the_bond(tmp_path):
    """Once eth0 is a slave its route-eth0 no longer applies: the bond gets the network's route."""
    def gateway(t):
        next(n for n in t["network"] if n["name"] == "admin")["gateway"] = "10.1.255.254"
    site = variant(tmp_path, "xena", rows=gateway)
    site.write_text(site.read_text() + "\nnetwork:\n  bonding:\n    bonds:\n"
                    "    - {name: bond0, network: admin, slaves: [eth0, eth4], nodes: [xena10, xena12]}\n")
    out = tmp_path / "out"
    res = run("build", "--site", site, "--out", out)
    assert res.code == 0, res.output
    route = (out / "xena10" / "etc/sysconfig/network-scripts/route-bond0").read_text()
    assert "ADDRESS0=0.0.0.0" in route and "GATEWAY0=10.1.255.254" in route
    assert not (out / "xena1" / "etc/sysconfig/network-scripts/route-bond0").exists()   # not bonded
