"""Nothing from the inputs writes outside OUT/<host>/ or injects into an artifact; secrets stay secret.

- Every site spec value that becomes a path of the output tree (found by probing, not
  only listed) is refused with '..', '.', '//' or a control character (HA110), and so is
  every ClusterDB name that becomes a host folder or a file name. hagen.emit refuses
  such a file again on its own (HA902), and files below a symbolic link of the build.
- No ClusterDB text value injects a line or markup: each text column of each example's
  rows, given a line break or XML markup, is refused, or ends escaped (cluster.conf keeps
  its structure) and the files pass ../shared/oracles/check-tree.
- Fence passwords: never in the site spec (a `password:` key is refused, and its value
  never echoed), never printed by build, check, diff, explain or render (without
  --show-secrets) nor in an error message, XML-escaped in cluster.conf, and every file
  holding one is mode 0600.
"""

from __future__ import annotations

import copy
import json
import shutil
import stat
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

import example_helpers
from cli_runner import cli
from conftest import CHECK_TREE, EXAMPLES, tree_state
from faults_helpers import out_listing
from hagen.emit import OutFile, OutputTree, confined
from hagen.base.errors import InputRefused, OutputError
from hagen.load.rows import TABLES

SITES = sorted(EXAMPLES.glob("*/site*.yaml"))


# --------------------------------------------------------------------------- helpers

def copy_example(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    if not folder.exists():
        shutil.copytree(EXAMPLES / name, folder)
        (folder / "fence-password").chmod(0o600)
    return folder


def load_yaml(path: Path):
    return example_helpers.load_yaml(path.read_text(encoding="utf-8"))


def dump_yaml(doc, path: Path) -> None:
    path.write_text(example_helpers.dump_yaml(doc), encoding="utf-8")


def set_key(doc: dict, key: tuple, value) -> None:
    node = doc
    for part in key[:-1]:
        node = node.setdefault(part, {}) if isinstance(part, str) else node[part]
    node[key[-1]] = value


def key_text(key: tuple) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + part
    return out


@pytest.fixture(scope="module")
def _builds(tmp_path_factory):
    """{(example, site file): a folder holding a good build's out and its store}, built once."""
    return {}, tmp_path_factory


@pytest.fixture
def good_build(_builds, tmp_path):
    """good_build(site) -> tmp_path/tree/out: a copy (cp -a) of a good build of the example
    whose copy site is, made once for the module."""
    cache, factory = _builds

    def copy(site: Path) -> Path:
        key = (site.parent.name, site.name)
        if key not in cache:
            root = factory.mktemp("good")
            pristine = copy_example(root, site.parent.name) / site.name
            res = cli("build", "--site", pristine, "--out", root / "tree" / "out")
            assert res.code == 0, res.output
            cache[key] = root / "tree"
        subprocess.run(["cp", "-a", str(cache[key]), str(tmp_path / "tree")], check=True)
        return tmp_path / "tree" / "out"
    return copy


def assert_refused(res, out: Path, state, code: str, where: str | None = None):
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    assert res.code == 2, f"exit {res.code}:\n{res.output}"
    wanted = f": error {code}:"
    hits = [ln for ln in res.stderr.splitlines() if wanted in ln and (where is None or where in ln)]
    assert hits, f"no {code} at {where!r} in:\n{res.stderr}"
    assert (tree_state(out), out_listing(out)) == state, "a refused build changed the output tree"


def nothing_escaped(root: Path, marker: str = "evil"):
    found = [str(p) for p in root.rglob(f"*{marker}*")]
    assert not found, f"files named after the input appeared: {found}"
    assert not list(Path("/").glob(f"{marker}*")) and not list(Path("/tmp").glob(f"{marker}*"))


# --------------------------------------------------------------------------- site spec paths

def path_leaves(doc, key=()):
    """(key, value) of every string of the site spec that looks like an absolute path."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from path_leaves(v, key + (k,))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from path_leaves(v, key + (i,))
    elif isinstance(doc, str) and doc.startswith("/"):
        yield key, doc


def test_every_site_path_that_lands_in_the_tree_is_checked(tmp_path):
    """Probe: give each absolute path of every example's site spec (schema defaults included)
    a marker folder in front, compile, and see which markers reach a path of the output tree.
    Each such key must be one that hagen.check.paths checks. (A list is probed through its
    first entry; a key once seen to become a path is not probed again.)"""
    from hagen.check.paths import FILE_KEYS, LIST_KEYS
    from hagen.load.site import load_site
    from hagen.compile.pipeline import compile_site

    checked = {k for k, _ in FILE_KEYS} | set(LIST_KEYS)
    found, probed, unchecked = set(), set(), []
    for site in SITES:
        folder = copy_example(tmp_path, site.parent.name)
        doc = load_yaml(site)
        for i, (key, value) in enumerate(path_leaves(load_site(site).data)):
            shape = tuple(0 if isinstance(k, int) else k for k in key)
            if key[0] == "clusterdb" or shape != key or shape in probed:
                continue
            marker = f"hagen-probe-{i}"
            probe = copy.deepcopy(doc)
            set_key(probe, key, f"/{marker}{value}")
            target = folder / f"probe-{site.name}"
            dump_yaml(probe, target)
            try:
                compiled = compile_site(target, OutputTree(tmp_path / "none" / "out"))
            except InputRefused:
                continue
            if any(marker in f.path for f in compiled.files):
                probed.add(shape)
                name = key if not isinstance(key[-1], int) else key[:-1]
                found.add(name)
                if name not in checked:
                    unchecked.append(f"{site.parent.name}/{site.name}: {key_text(key)}")
    assert not unchecked, f"site keys that become output paths without hagen.check.paths: {unchecked}"
    # the probe must have reached the keys the examples use
    for key in (("hosts", "path"), ("batch", "slurm", "conf"), ("batch", "rms", "script"), ("lustre", "sudoers"),
                ("nfs", "client_fstab"), ("batch", "ocfs2", "fstab"), ("batch", "lsf", "envdir")):
        assert key in found, f"the probe never saw {key_text(key)} become a path: the examples changed?"


PATH_KEYS = [
    ("bas5-guide", "site.yaml", ("hosts", "path")),
    ("bas5-guide", "site-slurm.yaml", ("batch", "slurm", "conf")),
    ("bas5-guide", "site-slurm.yaml", ("batch", "ocfs2", "fstab")),
    ("bas5-guide", "site-slurm.yaml", ("batch", "ocfs2", "mount_point")),
    ("bas5-guide", "site-slurm.yaml", ("batch", "lsf", "envdir")),
    ("bas5-guide", "site-rms.yaml", ("batch", "rms", "script")),
    ("bas5-guide", "site-rms.yaml", ("batch", "lsf", "envdir")),
    ("bas5-guide", "site-rms.yaml", ("management", "links", "/usr/share/lsf")),
    ("xena", "site.yaml", ("lustre", "sudoers")),
    ("xena", "site.yaml", ("nfs", "client_fstab")),
]


@pytest.mark.parametrize("example,site_name,key", PATH_KEYS, ids=lambda v: key_text(v) if isinstance(v, tuple) else v)
def test_a_site_path_with_dotdot_is_refused(good_build, tmp_path, example, site_name, key):
    folder = copy_example(tmp_path, example)
    site = folder / site_name
    out = good_build(site)
    state = (tree_state(out), out_listing(out))
    doc = load_yaml(site)
    if key[-2] == "links":                       # the entry holding this directory
        key = key[:-1] + (doc["management"]["links"].index(key[-1]),)
    set_key(doc, key, "/../../../../../../evil-escape")
    dump_yaml(doc, site)
    res = cli("build", "--site", site, "--out", out)
    assert_refused(res, out, state, "HA110", f" {key_text(key)}:")
    nothing_escaped(tmp_path)


@pytest.mark.parametrize("value,code,why", [
    ("/etc/../evil", "HA110", "'..'"), ("/etc/./hosts", "HA110", "'.'"), ("/etc//hosts", "HA110", "empty component"),
    ("/etc/hosts/", "HA110", "ends with '/'"), ("/etc/ho\tsts", "HA101", "does not match"),
    ("/etc/hosts\n", "HA101", "does not match"), ("etc/hosts", "HA101", "does not match"),
])
def test_odd_hosts_paths_are_refused(good_build, tmp_path, value, code, why):
    folder = copy_example(tmp_path, "bas5-guide")
    out = good_build(folder / "site.yaml")
    state = (tree_state(out), out_listing(out))
    doc = load_yaml(folder / "site.yaml")
    doc["hosts"] = {"path": value}
    dump_yaml(doc, folder / "site.yaml")
    res = cli("build", "--site", folder / "site.yaml", "--out", out)
    assert_refused(res, out, state, code, " hosts.path:")
    assert why in res.stderr
    nothing_escaped(tmp_path)


# --------------------------------------------------------------------------- ClusterDB names

def _node(tables, name):
    return next(r for r in tables["node"] if r["name"] == name)


DB_NAMES = [
    ("bas5-guide", lambda t: _node(t, "ns1").update(name="../../../evil"), "HA209", "clusterdb node"),
    ("bas5-guide", lambda t: _node(t, "ns1").update(name="ns1/../../evil"), "HA209", "clusterdb node"),
    ("bas5-guide", lambda t: _node(t, "ns1").update(name="/tmp/evil"), "HA209", "clusterdb node"),
    ("bas5-guide", lambda t: _node(t, "ns1").update(name=".."), "HA209", "clusterdb node"),
    ("bas5-guide", lambda t: _node(t, "ns0").update(name="evil\n.hagen"), "HA209", "clusterdb node"),
    ("bas5-guide", lambda t: t["metaservice_port"][0].update(name="ns/../evil"), "HA210", "clusterdb metaservice_port"),
    ("bas5-guide", lambda t: t["node_port"][0].update(interface_name="../evil"), "HA211", "clusterdb node_port"),
    ("bas5-guide", lambda t: t["node_port"][0].update(interface_name="eth0/../../evil"), "HA211",
     "clusterdb node_port"),
    ("xena", lambda t: t["lustre_fs"][0].update(fs_name="../evil"), "HA611", "clusterdb lustre_fs"),
    ("xena", lambda t: t["lustre_fs"][0].update(fs_name="fs/evil"), "HA611", "clusterdb lustre_fs"),
    ("xena", lambda t: t["lustre_fs"][0].update(fs_name="evil\n"), "HA611", "clusterdb lustre_fs"),
]


@pytest.mark.parametrize("example,mutate,code,where", DB_NAMES,
                         ids=[f"{c}-{i}" for i, (_, _, c, _) in enumerate(DB_NAMES)])
def test_a_clusterdb_name_that_would_leave_the_host_folder_is_refused(good_build, tmp_path, example, mutate, code, where):
    folder = copy_example(tmp_path, example)
    out = good_build(folder / "site.yaml")
    state = (tree_state(out), out_listing(out))
    snap = folder / "clusterdb.yaml"
    doc = load_yaml(snap)
    mutate(doc["tables"])
    dump_yaml(doc, snap)
    res = cli("build", "--site", folder / "site.yaml", "--out", out)
    assert_refused(res, out, state, code, where)
    nothing_escaped(tmp_path)


def test_a_client_node_that_is_a_path_is_refused(good_build, tmp_path):
    folder = copy_example(tmp_path, "xena")
    out = good_build(folder / "site.yaml")
    state = (tree_state(out), out_listing(out))
    doc = load_yaml(folder / "site.yaml")
    doc["nfs"]["clients"][0]["nodes"] = ["../../evil"]
    dump_yaml(doc, folder / "site.yaml")
    res = cli("build", "--site", folder / "site.yaml", "--out", out)
    assert_refused(res, out, state, "HA710", "nfs.clients[0].nodes[0]")
    nothing_escaped(tmp_path)


# --------------------------------------------------------------------------- emit's own defence

def _f(host, path, link=None):
    return OutFile(host, path, b"data\n", 0o644, "t.j2", link)


@pytest.mark.parametrize("files,why", [
    ([_f("../evil", "/etc/x")], "plain host name"),
    ([_f("ns0/../../evil", "/etc/x")], "plain host name"),
    ([_f("/tmp/evil", "/etc/x")], "plain host name"),
    ([_f("..", "/etc/x")], "plain host name"),
    ([_f(".hagen", "/manifest.json")], "plain host name"),
    ([_f("", "/etc/x")], "plain host name"),
    ([_f("ns0", "/../../../evil")], "normalised absolute path"),
    ([_f("ns0", "/etc/../../evil")], "normalised absolute path"),
    ([_f("ns0", "etc/evil")], "normalised absolute path"),
    ([_f("ns0", "//evil")], "normalised absolute path"),
    ([_f("ns0", "/")], "normalised absolute path"),
    ([_f("ns0", "/etc/evil/")], "normalised absolute path"),
    ([_f("ns0", "/etc/./evil")], "normalised absolute path"),
    ([_f("ns0", "/etc/ev\nil")], "normalised absolute path"),
    ([_f("ns0", "/usr/share/lsf", "/tmp"), _f("ns0", "/usr/share/lsf/evil")], "below the symbolic link /usr/share/lsf"),
    ([_f("ns0", "/etc/hosts"), _f("ns0", "/etc/hosts/evil")], "below the file /etc/hosts"),
], ids=lambda v: v if isinstance(v, str) else repr(v[-1].host + v[-1].path))
def test_emit_refuses_a_file_outside_its_host_folder(tmp_path, files, why):
    from hagen.compile.pipeline import build

    out = tmp_path / "tree" / "out"
    out.parent.mkdir()
    build(EXAMPLES / "bas5-guide" / "site.yaml", out)
    state = (tree_state(out), out_listing(out))
    tree = OutputTree(out)
    with tree.lock(), pytest.raises(OutputError) as info:
        tree.commit([_f("ns0", "/etc/fine")] + files)
    assert [r.code for r in info.value.reports] == ["HA902"], info.value.reports
    assert why in info.value.reports[0].message
    assert "nothing was written" in info.value.message
    assert (tree_state(out), out_listing(out)) == state
    nothing_escaped(tmp_path)


def test_emit_accepts_the_examples_files():
    """The defence lets every file of every example through (it refuses nothing real)."""
    from hagen.compile.pipeline import compile_site

    for site in SITES:
        compiled = compile_site(site, OutputTree(Path("/nonexistent/out")))
        assert confined(compiled.files) == [], site


# --------------------------------------------------------------------------- injection

LINE = "x\nINJECTED=1 evil"
MARKUP = "x\"'<evil a=\"1\"/>&amp;]]>"
PAYLOADS = {"line": LINE, "markup": MARKUP}
TEXT_COLUMNS = [(t.name, c.name) for t in TABLES for c in t.columns if c.kind == "text"]


def _structure(data: bytes):
    from lxml import etree

    root = etree.fromstring(data)
    return [(el.tag, tuple(sorted(el.attrib))) for el in root.iter()]


def test_no_clusterdb_text_value_injects_a_line_or_markup(tmp_path):
    """Each text column of each example's first row of each table, set to a line break or to
    XML markup: refused (exit 2), or written so that no line and no element was added."""
    from hagen.compile.pipeline import compile_site

    failures, accepted, outcomes = [], [], {}
    for example in ("bas5-guide", "xena"):
        folder = copy_example(tmp_path, example)
        site = folder / "site.yaml"
        tables = load_yaml(folder / "clusterdb.yaml")["tables"]
        base = {(f.host, f.path): f.data for f in compile_site(site, OutputTree(tmp_path / "none" / "out")).files}
        for table, column in TEXT_COLUMNS:
            if not tables.get(table):
                continue
            for label, payload in PAYLOADS.items():
                case = f"{example} {table}.{column} {label}"
                doc = {"format": "hagen-clusterdb-snapshot/1", "tables": copy.deepcopy(tables)}
                doc["tables"][table][0][column] = payload
                snap = folder / "probe.json"
                snap.write_text(json.dumps(doc))
                try:
                    compiled = compile_site(site, OutputTree(tmp_path / "none" / "out"), snapshot=str(snap))
                except InputRefused as exc:
                    outcomes[case] = "refused " + ",".join(sorted({r.code for r in exc.reports}))
                    continue
                except Exception:
                    failures.append(f"{case}: crashed\n{traceback.format_exc()}")
                    continue
                outcomes[case] = "accepted"
                if confined(compiled.files):
                    failures.append(f"{case}: emit would refuse a path: {confined(compiled.files)}")
                changed = [f for f in compiled.files if base.get((f.host, f.path)) != f.data and not f.is_link]
                for f in changed:
                    text = f.data.decode("utf-8", "replace")
                    if any(ln.lstrip().startswith("INJECTED") for ln in text.splitlines()):
                        failures.append(f"{case}: a line was injected into {f.host}:{f.path}")
                    if f.path.endswith("cluster.conf") and f.data.lstrip().startswith(b"<"):
                        try:
                            if _structure(f.data) != _structure(base[(f.host, f.path)]):
                                failures.append(f"{case}: {f.host}:{f.path} has other elements or attributes")
                        except Exception as exc:
                            failures.append(f"{case}: {f.host}:{f.path} is no longer XML: {exc}")
                    elif "<evil" in text and f.path.endswith((".xml", ".conf")) and "cluster" in f.path:
                        failures.append(f"{case}: markup reached {f.host}:{f.path}")
                if changed:
                    accepted.append((case, changed))
    assert not failures, "\n".join(failures)
    assert any(v.startswith("refused") for v in outcomes.values())
    if not CHECK_TREE.exists():
        pytest.skip("../shared (the oracles) is absent: accepted values were not handed to check-tree")
    _check_tree(tmp_path / "accepted", accepted)


def _check_tree(root: Path, accepted) -> None:
    """check-tree on the files the accepted values changed, one folder per case (c<i>)."""
    labels = {}
    seen = set()
    for i, (case, files) in enumerate(accepted):
        for f in files:
            if (f.path, f.sha256) in seen:
                continue
            seen.add((f.path, f.sha256))
            dest = root / f"c{i}" / f.path.lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(f.data)
            dest.chmod(f.mode)
            labels[f"c{i}"] = case
    if not labels:
        return
    proc = subprocess.run([sys.executable, str(CHECK_TREE), "--quiet", str(root)], capture_output=True, text=True,
                          timeout=600)
    fails = [ln for ln in proc.stdout.splitlines() if ln.startswith("fail")]
    named = [f"{labels.get(ln.split()[1].split(':')[0], '?')}: {ln}" for ln in fails]
    assert not fails and "0 failed" in proc.stdout, "\n".join(named) or proc.stdout + proc.stderr


# --------------------------------------------------------------------------- secrets

SECRET = "S3cr3t-fence-PW-4711"


@pytest.mark.parametrize("section", ["management", "lustre", "nfs"])
def test_a_password_in_the_site_spec_is_refused_and_not_echoed(tmp_path, section):
    example = "bas5-guide" if section == "management" else "xena"
    folder = copy_example(tmp_path, example)
    doc = load_yaml(folder / "site.yaml")
    fencing = doc[section]["fencing"]
    fencing["password"] = SECRET
    dump_yaml(doc, folder / "site.yaml")
    res = cli("build", "--site", folder / "site.yaml", "--out", tmp_path / "out")
    assert res.code == 2, res.output
    assert f"{section}.fencing.password: error HA101: unknown key 'password'" in res.stderr, res.stderr
    assert "password_file" in res.stderr and SECRET not in res.output
    del fencing["password"], fencing["password_file"]
    fencing["password_env"] = f"my password is {SECRET}"           # the password where its variable's name goes
    dump_yaml(doc, folder / "site.yaml")
    res = cli("check", "--site", folder / "site.yaml")
    assert res.code == 2 and f"{section}.fencing.password_env: error HA101" in res.stderr, res.output
    assert SECRET not in res.output
    assert not (tmp_path / "out").exists()


@pytest.fixture
def env_secret(tmp_path, monkeypatch):
    """The example reading its password from $HAGEN_TEST_SECRET (= SECRET): the site spec."""
    folder = copy_example(tmp_path, "bas5-guide")
    site = folder / "site.yaml"
    text = site.read_text()
    site.write_text(text.replace("password_file: fence-password", "password_env: HAGEN_TEST_SECRET"))
    monkeypatch.setenv("HAGEN_TEST_SECRET", SECRET)
    return site


def test_secrets_are_never_printed(env_secret, tmp_path, monkeypatch):
    site = env_secret
    out = tmp_path / "out"
    outputs = {}
    outputs["build"] = cli("build", "--site", site, "--out", out)
    assert outputs["build"].code == 0
    assert SECRET.encode() in (out / "ns0/etc/cluster/cluster.conf").read_bytes()
    assert SECRET.encode() not in (out / ".hagen/manifest.json").read_bytes()
    outputs["rebuild"] = cli("build", "--site", site, "--out", out)
    outputs["check"] = cli("check", "--site", site)
    outputs["explain"] = cli("explain", "ns0", "/etc/cluster/cluster.conf", "--site", site, "--out", out)
    outputs["render"] = cli("render", "ns13", "/etc/cluster/cluster.conf", "--site", site, "--out", out)
    assert "********" in outputs["render"].stdout and "********" in outputs["explain"].stdout
    # diff against a tree holding another password, and against nothing
    monkeypatch.setenv("HAGEN_TEST_SECRET", "an-older-pw-0815")
    old = tmp_path / "old"
    assert cli("build", "--site", site, "--out", old).code == 0
    monkeypatch.setenv("HAGEN_TEST_SECRET", SECRET)
    outputs["diff"] = cli("diff", "--site", site, "--against", old)
    assert outputs["diff"].code == 1 and "cluster.conf" in outputs["diff"].stdout
    outputs["diff-json"] = cli("diff", "--site", site, "--against", old, "--format", "json")
    outputs["diff-empty"] = cli("diff", "--site", site, "--against", tmp_path / "nothing")
    # error messages: refused inputs, an output tree that cannot be written
    text = site.read_text()
    site.write_text(text.replace("stratum: 10", "stratum: ten"))
    outputs["refused"] = cli("build", "--site", site, "--out", out)
    assert outputs["refused"].code == 2
    site.write_text(text)
    (tmp_path / "file").write_text("a file, not a folder\n")
    outputs["unwritable"] = cli("build", "--site", site, "--out", tmp_path / "file" / "out")
    assert outputs["unwritable"].code == 3
    for name, res in outputs.items():
        assert SECRET not in res.output, f"hagen {name} printed the password:\n{res.output}"
        assert "an-older-pw-0815" not in res.output, f"hagen {name} printed the old password"
    # --show-secrets is the one way to see it
    assert SECRET in cli("render", "ns13", "/etc/cluster/cluster.conf", "--site", site, "--show-secrets").stdout


def test_a_password_with_markup_is_escaped_and_one_with_a_line_break_refused(env_secret, tmp_path, monkeypatch):
    from lxml import etree

    odd = "p\"w<&>'d ]]> &amp;"
    monkeypatch.setenv("HAGEN_TEST_SECRET", odd)
    out = tmp_path / "out"
    res = cli("build", "--site", env_secret, "--out", out)
    assert res.code == 0, res.output
    for host in ("ns0", "ns13"):
        path = out / host / "etc/cluster/cluster.conf"
        devices = etree.fromstring(path.read_bytes()).findall(".//fencedevice")
        assert devices and all(d.get("passwd") == odd for d in devices)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    state = (tree_state(out), out_listing(out))
    monkeypatch.setenv("HAGEN_TEST_SECRET", "line1\nline2")
    res = cli("build", "--site", env_secret, "--out", out)
    assert_refused(res, out, state, "HA104", "management.fencing.password_env:")
    assert "line1" not in res.output
    folder = env_secret.parent
    env_secret.write_text(env_secret.read_text().replace("password_env: HAGEN_TEST_SECRET",
                                                         "password_file: fence-password"))
    (folder / "fence-password").write_text("tab\tbed\n")
    res = cli("build", "--site", env_secret, "--out", out)
    assert_refused(res, out, state, "HA102", "management.fencing.password_file:")
    assert "bed" not in res.output


def _fence_passwords(site: Path) -> set[str]:
    doc = load_yaml(site)
    found = set()
    for section in ("management", "lustre", "nfs"):
        name = ((doc.get(section) or {}).get("fencing") or {}).get("password_file")
        if name:
            found.add((site.parent / name).read_text().splitlines()[0])
    return found


@pytest.mark.parametrize("site", SITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_file_holding_a_password_is_0600(site, tmp_path):
    from xml.sax.saxutils import quoteattr

    from hagen.compile.pipeline import build

    folder = copy_example(tmp_path, site.parent.name)
    (folder / "fence-password").chmod(0o644)              # as git leaves it: a warning, not a looser file
    out = tmp_path / "out"
    build(folder / site.name, out)
    secrets = _fence_passwords(folder / site.name)
    assert secrets, f"{site} names no password file: this test needs one"
    forms = {s.encode() for s in secrets} | {quoteattr(s)[1:-1].encode() for s in secrets}
    holding = []
    for path in sorted(out.resolve().rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        if any(form in path.read_bytes() for form in forms):
            holding.append(path)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, f"{path} holds a password and is " \
                                                              f"{stat.S_IMODE(path.stat().st_mode):o}"
    assert holding, f"no file of {site} holds its fence password"
    objects = [p for p in (tmp_path / ".out.d" / "objects").rglob("*") if p.is_file()
               and any(form in p.read_bytes() for form in forms)]
    assert objects and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in objects)
