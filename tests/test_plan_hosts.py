"""/etc/hosts for every node of the ClusterDB (guide 9.4 steps 2-3, in place of dbmConfig's
syshosts): every node's address on every network under <node>-<suffix>, every controller,
every cell alias; one file, stored once, its hosts folded in the manifest."""

from __future__ import annotations

import json
import os

import pytest
import yaml

from conftest import EXAMPLES
from hagen.compile.pipeline import build


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    out = tmp_path_factory.mktemp("hosts") / "out"
    build(EXAMPLES / "bas5-guide/site.yaml", out)
    return out.resolve()


def entries(path) -> dict[str, list[str]]:
    """{address: names} of a hosts file."""
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            address, *names = line.split()
            out[address] = names
    return out


def test_every_node_gets_the_same_file_stored_once(tree):
    nodes = [f"ns{i}" for i in range(14)]
    files = [tree / n / "etc/hosts" for n in nodes]
    assert all(f.is_file() for f in files)
    assert len({os.stat(f).st_ino for f in files}) == 1            # one object, hard-linked
    manifest = json.loads((tree / ".hagen/manifest.json").read_text())
    hosts = [e for e in manifest["files"] if e["path"] == "/etc/hosts"]
    assert len(hosts) == 1 and hosts[0]["hosts"] == "ns[0-13]" and hosts[0]["template"] == "hosts/hosts.j2"


def test_every_address_with_its_suffixed_name(tree):
    # the FQDNs (cluster.dns_domain) first: their own test below
    got = {a: [n for n in names if not n.endswith(".cluster")] for a, names in entries(tree / "ns5/etc/hosts").items()}
    assert got["127.0.0.1"] == ["localhost.localdomain", "localhost"]
    assert got["10.1.0.1"] == ["ns0"]                # admin: empty suffix, the bare node name
    assert got["10.1.0.13"] == ["ns13"]
    for i in range(1, 13):
        assert got[f"10.1.1.{i}"] == [f"ns{i}"]
    assert got["176.18.118.1"] == ["ns0-bk"]         # backbone: suffix bk
    assert got["176.18.118.13"] == ["ns13-bk"]
    assert got["10.2.0.1"] == ["ns0-bmc"] and got["10.2.0.14"] == ["ns13-bmc"]   # the controllers
    assert got["10.1.0.65"] == ["ns"]                # the virtual management node
    assert got["176.18.118.65"] == ["ns-bk"]
    assert len(got) == 1 + 14 + 2 + 14 + 2


def test_nodes_are_in_natural_order_by_network(tree):
    text = (tree / "ns0/etc/hosts").read_text()
    assert text.index(" ns2\n") < text.index(" ns10\n") < text.index("ns0-bk") < text.index("ns0-bmc") \
        < text.index(" ns\n")


def test_nfs_cell_aliases_with_underscores(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    path = folder / "clusterdb.yaml"
    doc = yaml.safe_load(path.read_text())
    t = doc["tables"]
    # an NFS cell of two compute nodes with the guide's aliases (9.4 step 2)
    t["da_iocell"].append({"id": 2, "name": "ns_nfs", "type": "nfs", "quorum_device": "/dev/sdq1"})
    t["da_iocell_component"] += [{"iocell_id": 2, "node_id": 10, "disk_array_id": None},
                                 {"iocell_id": 2, "node_id": 11, "disk_array_id": None}]
    t["metaservice_port"] += [
        {"id": 3, "name": "xenanfs", "type": "alias", "network_id": 1, "ipaddr": "10.1.1.76/16", "iocell_id": 2},
        {"id": 4, "name": "xenanfs_BK", "type": "alias", "network_id": 2, "ipaddr": "176.18.118.135/24",
         "iocell_id": 2}]
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    from hagen.model.build import build_model
    from hagen.model.hosts import host_sections
    from hagen.load.site import load_site
    from hagen.load.source import choose_source, read_source

    site = load_site(folder / "site.yaml")
    model, _ = build_model(read_source(choose_source(None, None, site)))
    sections = {s.title: s for s in host_sections(model, site)}
    nfs = sections["aliases of nfs cell ns_nfs: they follow its active node"]
    assert [(e.address, e.names) for e in nfs.entries] == [("10.1.1.76", ("xenanfs",)),
                                                            ("176.18.118.135", ("xenanfs_BK",))]


def test_site_extras_and_switches(example_copy, tmp_path):
    folder = example_copy("bas5-guide")
    path = folder / "site.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["hosts"] = {"localhost": False, "extra": [{"address": "10.1.0.250", "names": ["ntp1", "ntp1.cluster"]}]}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    build(path, tmp_path / "out")
    got = entries(tmp_path / "out/ns3/etc/hosts")
    assert "127.0.0.1" not in got and got["10.1.0.250"] == ["ntp1", "ntp1.cluster"]

    doc["hosts"] = {"enabled": False}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    build(path, tmp_path / "out2")
    assert not list((tmp_path / "out2").resolve().glob("*/etc/hosts"))


def test_sections_are_computed_once_per_model_and_site_spec():
    """The hosts check and the hosts file share one computation; another model or site spec gets its own."""
    from hagen.model.hosts import host_sections
    from hagen.compile.pipeline import load_and_check

    site, model, _, _ = load_and_check(EXAMPLES / "bas5-guide/site.yaml")
    first = host_sections(model, site)
    assert host_sections(model, site) is first
    other_site, other_model, _, _ = load_and_check(EXAMPLES / "bas5-guide/site.yaml")
    again = host_sections(other_model, other_site)
    assert again is not first and again == first
    entry = next(e for s in first for e in s.entries if e.names == ("ns0-bk",))
    assert str(entry.where) == "clusterdb node_port[node=ns0, network=backbone]"


def test_the_dns_domain_gives_each_clusterdb_name_its_fqdn_first(tree):
    """cluster.dns_domain (cluster): `hostname -f` reads the first name, so the FQDN comes first."""
    hosts = entries(tree / "ns0/etc/hosts")
    assert hosts["10.1.0.1"] == ["ns0.cluster", "ns0"]
    assert hosts["10.1.0.65"] == ["ns.cluster", "ns"]          # the management pair's alias
    assert hosts["127.0.0.1"] == ["localhost.localdomain", "localhost"]
