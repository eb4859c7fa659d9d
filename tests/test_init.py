"""hagen init: a site spec drafted from the ClusterDB, which builds once its secret exists.

On the examples, the draft's build differs from the example's only where the example
made a site choice its README (or CLARIFICATIONS) documents: SITE_CHOICES lists each.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cli_runner import cli
from conftest import CHECK_TREE, EXAMPLES, requires_shared
from pg import requires_pg, temp_database

# path on host -> the documented site choice that makes the example's file differ from the draft's
SITE_CHOICES = {
    "bas5-guide": {
        "/etc/HA/ip": "bonds: the aliases on bond0/bond1 (README: bond1's slaves; guide 3.1.2)",
        "/etc/modprobe.conf": "bonds (guide 3.1.2)",
        "/etc/sysconfig/network-scripts/ifcfg-bond0": "bonds (guide 3.1.2)",
        "/etc/sysconfig/network-scripts/ifcfg-bond1": "bonds (README: bond1's slaves eth1, eth3)",
        "/etc/sysconfig/network-scripts/ifcfg-eth0": "bonds: eth0 a slave of bond0",
        "/etc/sysconfig/network-scripts/ifcfg-eth1": "bonds: eth1 a slave of bond1",
        "/etc/sysconfig/network-scripts/ifcfg-eth2": "bonds: eth2 a slave of bond0",
        "/etc/sysconfig/network-scripts/ifcfg-eth3": "bonds: eth3 a slave of bond1",
        "/etc/sysconfig/network-scripts/route-bond0": "route 10.0.0.0/8 via the admin gateway (CLARIFICATIONS 10)",
        "/etc/sysconfig/network-scripts/route-eth0": "the draft's default route (no routes: chosen)",
        "/etc/ntp.conf": "the networks NTP serves: 10.0.0.0/8 (CLARIFICATIONS 10)",
        "/etc/HA/start": "optional group fda_storage switched on",
        "/etc/HA/stop": "optional group fda_storage switched on",
        "/etc/pbs.conf": "batch manager PBS Professional (README: chapter 10)",
    },
    "xena": {
        "/etc/lustre/lustre.cfg": "lustre.debug: trace the failover tools (6.3.5 step 2)",
        "/etc/cluster/cluster.conf": "nfs.exports: the NFS cell's fs resources (9.4.1; README: exports)",
        "/etc/exports": "nfs.exports (README: exports, 9.4.2)",
        "/etc/storageadmin/haionfs.conf": "nfs.exports (9.4 step 1)",
        "/etc/fstab": "nfs.clients in /etc/fstab's managed block, shared_files (README: managed blocks, 9.4.3)",
    },
}


def _files(out: Path) -> dict:
    """{(host, path on host): bytes or link target} of a build, the manifest left out."""
    root = out.resolve()
    found = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if rel.parts[0] == ".hagen" or (path.is_dir() and not path.is_symlink()):
            continue
        found[(rel.parts[0], "/" + "/".join(rel.parts[1:]))] = \
            path.readlink() if path.is_symlink() else path.read_bytes()
    return found


@pytest.fixture(scope="module", params=sorted(SITE_CHOICES))
def drafted(request, tmp_path_factory):
    """(example, folder, draft text, example's build, draft's build)."""
    from hagen.compile.pipeline import build

    name = request.param
    folder = tmp_path_factory.mktemp("init") / name
    shutil.copytree(EXAMPLES / name, folder)
    (folder / "fence-password").chmod(0o600)
    r = cli("init", "--snapshot", folder / "clusterdb.yaml", "-o", folder / "draft.yaml")
    assert r.code == 0, r.stderr
    build(folder / "site.yaml", folder / "example-out")
    build(folder / "draft.yaml", folder / "draft-out")
    return name, folder, (folder / "draft.yaml").read_text(), _files(folder / "example-out"), \
        _files(folder / "draft-out")


def test_the_draft_builds_and_differs_only_by_documented_choices(drafted):
    name, _, _, example, draft = drafted
    differ = {path for key in example.keys() | draft.keys() if example.get(key) != draft.get(key)
              for path in [key[1]]}
    assert differ == set(SITE_CHOICES[name]), f"undocumented: {differ - set(SITE_CHOICES[name])}, " \
                                              f"no longer differing: {set(SITE_CHOICES[name]) - differ}"


@requires_shared
def test_the_drafts_build_passes_the_real_consumers(drafted):
    import subprocess

    _, folder, _, _, _ = drafted
    proc = subprocess.run([str(CHECK_TREE), str(folder / "draft-out")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_draft_shares_the_system_files_its_build_writes(drafted):
    """shared_files drafted where the site needs it: the draft's build warns of no system file
    written whole (HA962), as the example's does not."""
    from hagen.compile.pipeline import load_and_check

    _, folder, text, _, _ = drafted
    assert "\nshared_files:\n  - /etc/hosts-tpl\n" in text
    assert not [w for w in load_and_check(folder / "draft.yaml")[2] if w.code == "HA962"]


def test_the_draft_names_its_sources_relative_to_itself(drafted):
    _, _, text, _, _ = drafted
    assert "\nclusterdb:\n  snapshot: clusterdb.yaml\n" in text
    assert "password_file: fence-password " in text
    assert "dummy" not in text         # init reads no secret: nothing of the file can be in the draft


def _marked(text: str, key: str) -> bool:
    """The first line setting key carries "# SITE:", or one of the three comment lines above it does."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith(f"{key}:"))
    return any("# SITE:" in line for line in lines[max(0, at - 3):at + 1])


@pytest.mark.parametrize("key", ["password_file", "login", "heartbeat", "services", "optional_groups", "links",
                                 "mnttab", "bonds", "routes", "serve", "exports", "clients", "debug", "manager"])
def test_every_site_choice_is_marked(drafted, key):
    _, _, text, _, _ = drafted
    if f" {key}:" in text or f"\n{key}:" in text:
        assert _marked(text, key)


def test_the_draft_lists_what_the_clusterdb_holds(drafted):
    name, _, text, _, _ = drafted
    found = {"bas5-guide": ["mngt cell ns_mngt, primary ns0", "alias ns on admin: 10.1.0.65",
                            "alias ns-bk on backbone: 176.18.118.65", "compute ns[1-11]; login ns12",
                            "admin (admin, ethernet): 10.1.0.0/16, gateway 10.1.255.254"],
             "xena": ["xena_mds: xena1, xena2", "xena_oss: xena10, xena12", "xena_nfs: xena11, xena13",
                      "alias xenanfs_BK on backbone: 192.168.118.135", "mgs_net: o2ib", "compute xena[20-27]"]}
    for text_found in found[name]:
        assert text_found in text


def test_stdout_draft_names_the_snapshot_relative_to_here(drafted, monkeypatch):
    _, folder, text, _, _ = drafted
    monkeypatch.chdir(folder.parent)
    r = cli("init", "--snapshot", folder / "clusterdb.yaml")
    assert r.code == 0 and r.stderr == ""
    assert r.stdout == text.replace("snapshot: clusterdb.yaml", f"snapshot: {folder.name}/clusterdb.yaml")


def test_never_overwrites_without_force(tmp_path):
    target = tmp_path / "site.yaml"
    target.write_text("mine\n")
    r = cli("init", "--snapshot", EXAMPLES / "xena" / "clusterdb.yaml", "-o", target)
    assert r.code == 2 and f"{target}: error HA151" in r.stderr
    assert target.read_text() == "mine\n"
    r = cli("init", "--snapshot", EXAMPLES / "xena" / "clusterdb.yaml", "-o", target, "--force")
    assert r.code == 0 and target.read_text().startswith("# Site spec of xena")
    assert not list(tmp_path.glob(".*tmp"))


@pytest.mark.parametrize("args, code", [([], "HA105"),
                                        (["--db", "postgresql://h/db", "--snapshot", "x.yaml"], "HA106")])
def test_one_source_exactly(args, code):
    r = cli("init", *args)
    assert r.code == 2 and f"error {code}" in r.stderr and r.stdout == ""


def test_rows_refused_give_no_draft(tmp_path):
    snap = tmp_path / "clusterdb.yaml"
    snap.write_text((EXAMPLES / "xena" / "clusterdb.yaml").read_text().replace("subnet: 10.1.0.0/16", "subnet: 10.1.0.1/16"))
    r = cli("init", "--snapshot", snap, "-o", tmp_path / "site.yaml")
    assert r.code == 2 and "error HA205" in r.stderr and "clusterdb network[name=admin]" in r.stderr
    assert not (tmp_path / "site.yaml").exists()


@pytest.mark.parametrize("dsn, kept, had", [
    ("postgresql://admin:s3cret@db.example:5433/clusterdb?sslmode=require",
     "postgresql://admin@db.example:5433/clusterdb?sslmode=require", True),
    ("postgresql://admin@db.example/clusterdb?password=s3cret&connect_timeout=5",
     "postgresql://admin@db.example/clusterdb?connect_timeout=5", True),
    ("postgresql://db.example/clusterdb", "postgresql://db.example/clusterdb", False),
    ("host=db.example dbname=clusterdb password=s3cret user=admin", "host=db.example dbname=clusterdb user=admin", True),
    ("host=db.example dbname=clusterdb", "host=db.example dbname=clusterdb", False),
])
def test_the_dsn_loses_its_password(dsn, kept, had):
    from hagen.compile.init import dsn_without_password

    assert dsn_without_password(dsn) == (kept, had)


@pytest.mark.parametrize("value", ["ns0", "10.1.0.0/16", "yes", "No", "null", "3.2", "a: b", "x #y", "-x", "~",
                                   "[a]", "", "é", "ns_mngt", "0x10", "1e3", "'q'", '"d"'])
def test_a_scalar_reads_back_as_the_same_string(value):
    from ruamel.yaml import YAML

    from hagen.compile.init import q

    assert YAML(typ="safe").load(f"k: {q(value)}\n")["k"] == value


@requires_pg
def test_from_a_database_the_draft_names_the_dsn_without_its_password(tmp_path):
    from cli_runner import cli as run
    from hagen.load.clusterdb import load_rows
    from hagen.load.snapshot import read_snapshot

    with temp_database() as dsn:
        load_rows(dsn, read_snapshot(EXAMPLES / "xena" / "clusterdb.yaml"))
        r = run("init", "--db", f"{dsn} password=not-the-password")    # trust: any password will do
    assert r.code == 0, r.stderr
    assert "not-the-password" not in r.stdout
    assert f'\n  dsn: "{dsn}"\n' in r.stdout and "~/.pgpass" in r.stdout
    assert "xena_nfs: xena11, xena13" in r.stdout


def test_a_cell_name_cman_refuses_is_marked(tmp_path):
    snap = tmp_path / "clusterdb.yaml"
    snap.write_text((EXAMPLES / "bas5-guide" / "clusterdb.yaml").read_text()
                    .replace("name: ns_mngt, type: mngt", "name: ns_management_pair, type: mngt"))
    r = cli("init", "--snapshot", snap)
    assert r.code == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("  cluster_name:"))
    assert line.startswith("  cluster_name: ns_management_pair") and "# SITE: at most 15 characters" in line


def test_without_cells_the_draft_still_builds(tmp_path):
    """A ClusterDB of plain nodes: the draft holds its source, batch and hosts, and builds /etc/hosts."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe")
    doc = yaml.load((EXAMPLES / "bas5-guide" / "clusterdb.yaml").read_text())
    doc["tables"].update(da_iocell=[], da_iocell_component=[], metaservice_port=[])
    doc["tables"]["cluster"][0].update(actif_ha=False, node_backbone_ipaddr=None)
    with open(tmp_path / "clusterdb.yaml", "w") as f:
        yaml.dump(doc, f)
    r = cli("init", "--snapshot", tmp_path / "clusterdb.yaml", "-o", tmp_path / "site.yaml")
    assert r.code == 0, r.stderr
    text = (tmp_path / "site.yaml").read_text()
    assert "management:" not in text and "lustre:" not in text and "nfs:" not in text
    r = cli("build", "--site", tmp_path / "site.yaml", "--out", tmp_path / "out", "-q")
    assert r.code == 0, r.stderr
    assert (tmp_path / "out" / "ns0" / "etc" / "hosts").is_file()


# ------------------------------------------------------------------ the batch manager the ftypes show

def _with_ftypes(folder: Path, labels: dict[str, list[int]]) -> Path:
    """bas5-guide's snapshot with ftypes labels[label] = node ids (a site's own labels)."""
    from example_helpers import dump_yaml, load_yaml

    doc = load_yaml((folder / "clusterdb.yaml").read_text())
    tables = doc["tables"]
    for i, (label, nodes) in enumerate(sorted(labels.items()), 100):
        tables["ftype"].append({"id": i, "label": label})
        tables["node_ftype"] += [{"node_id": n, "ftype_id": i} for n in nodes]
    path = folder / "clusterdb-batch.yaml"
    path.write_text(dump_yaml(doc))
    return path


def _node_ids(folder: Path, *names: str) -> list[int]:
    from example_helpers import load_yaml

    rows = load_yaml((folder / "clusterdb.yaml").read_text())["tables"]["node"]
    return [r["id"] for r in rows if r["name"] in names]


@pytest.mark.parametrize("labels, manager, block", [
    ({"slurm": ["ns0", "ns13"]}, "slurm", None),
    ({"slurmctld": ["ns0"], "slurmd": ["ns1"]}, "slurm", None),
    ({"pbs_server": ["ns0", "ns13"]}, "pbs", "/etc/pbs.conf"),
    ({"lsf": ["ns0"]}, "lsf", "/usrha/share/lsf/conf/hosts"),
    ({"lsf": ["ns0"], "slurm": ["ns0", "ns13"]}, "lsf", "/ocfs2shared/lsf/conf/hosts"),
], ids=["slurm", "slurmctld", "pbs", "lsf", "lsf-slurm"])
def test_the_draft_keeps_the_batch_files_site_lines_the_way_the_docs_recommend(tmp_path, labels, manager, block):
    """docs/managed-blocks.md: SLURM's own Include of a site file hagen never writes; pbs.conf
    and LSF's hosts file as managed blocks. The draft builds as it is, with no warning."""
    from hagen.compile.pipeline import build, load_and_check

    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").chmod(0o600)
    snapshot = _with_ftypes(folder, {k: _node_ids(folder, *v) for k, v in labels.items()})
    r = cli("init", "--snapshot", snapshot, "-o", folder / "draft.yaml")
    assert r.code == 0, r.stderr
    text = (folder / "draft.yaml").read_text()
    assert f"\n  manager: {manager}\n" in text
    assert not [w for w in load_and_check(folder / "draft.yaml")[2]], "the draft's check warns"
    build(folder / "draft.yaml", folder / "out")
    out = folder / "out"
    slurm = "slurm" in labels or "slurmctld" in labels
    if slurm:
        assert "\n    include: /etc/slurm/slurm.site.conf" in text
        assert "Include /etc/slurm/slurm.site.conf" in (out / "ns0/etc/slurm/slurm.conf").read_text()
        assert "/etc/slurm/slurm.conf" not in text.split("\nbatch:")[0]       # not a block: hagen's file whole
    if block is not None:
        shared = text.split("\nshared_files:\n", 1)[1].split("\n\n", 1)[0]
        assert f"  - {block}" in shared.splitlines(), shared
        assert "# BEGIN hagen" in (out / "ns0" / block.lstrip("/")).read_text()


def test_without_a_batch_ftype_the_draft_leaves_the_choice_marked(tmp_path):
    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / "xena", folder)
    r = cli("init", "--snapshot", folder / "clusterdb.yaml")
    assert r.code == 0 and "\n  manager: none\n" in r.stdout
    assert "#   slurm: {include: /etc/slurm/slurm.site.conf}" in r.stdout
