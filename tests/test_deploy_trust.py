"""The deploy loop against tampered plans and records, odd node files and short writes
(simulated nodes, tests/deploy_helpers.py). Each test names the class it closes; the
values vary (hosts, paths, sizes, encodings) so that no one string is what passes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat

import pytest

from cli_runner import cli
from conftest import EXAMPLES
from deploy_helpers import Nodes, prepare

CONF = "/etc/cluster/cluster.conf"


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return prepare(tmp_path_factory.mktemp("trust"), EXAMPLES / "bas5-guide")


@pytest.fixture
def fresh(base, tmp_path, monkeypatch):
    """Nodes that hagen never gathered from."""
    return Nodes(base, tmp_path / "w", monkeypatch)


def gather(n, *args):
    return cli("gather", "--site", n.site, "--out", n.out, "--into", n.work / "g", *args)


def push(n, *args):
    return cli("push", "--site", n.site, "--out", n.out, *args)


@pytest.fixture
def nodes(fresh):
    """Nodes gathered once (each holds a /etc/passwd of its own), then pushed the whole build."""
    for host in ("ns0", "ns7", "ns13"):
        fresh.node_file(host, "/etc/passwd").write_text(f"root:x:0:0::/root:/bin/bash\n# {host}\n")
    assert gather(fresh).code == 0
    assert push(fresh, "--yes").code == 0
    fresh.log.unlink()
    return fresh


def record_path(n):
    return n.work / ".out.d/nodes.json"


def edit_record(n, change) -> None:
    doc = json.loads(record_path(n).read_text())
    change(doc["nodes"])
    record_path(n).write_text(json.dumps(doc))


# ------------------------------------------------------------------ 1. removals hagen may make

@pytest.mark.parametrize("host, path", [
    ("ns0", "/etc/passwd"),                   # a file hagen never wrote
    ("ns7", "/etc/passwd"),
    ("ghost1", "/etc/hosts"),                 # a host the build does not have
    ("ns13", "/etc/hosts"),                   # a file the build still writes
])
def test_a_plan_removal_hagen_cannot_vouch_for_is_refused_whole_before_anything_is_sent(nodes, host, path):
    plan = nodes.work / "plan.json"
    entry = json.loads((nodes.out / ".hagen/manifest.json").read_text())["files"][0]
    doc = {"format": "hagen-push-plan/1",
           "send": [{"host": "ns0", "path": entry["path"], "sha256": entry["sha256"], "mode": entry["mode"]}],
           "remove": [{"host": host, "path": path}]}
    plan.write_text(json.dumps(doc))
    r = push(nodes, "--plan", plan)
    assert r.code == 2 and "HA965" in r.stderr and "remove[0]" in r.stderr, r.stderr
    assert nodes.calls() == []
    assert nodes.node_file("ns0", "/etc/passwd").exists() and nodes.node_file("ns7", "/etc/passwd").exists()


@pytest.mark.parametrize("host", ["ns0", "ns12", "ghost7"])
def test_a_tampered_record_never_makes_prune_remove_what_hagen_did_not_write(nodes, host):
    data = b"root:x:0:0::/root:/bin/bash\n"
    target = nodes.node_file(host, "/etc/passwd")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)

    def tamper(doc):      # the record says the node holds /etc/passwd, as if gathered there
        doc.setdefault(host, {"gathered": True, "files": {}})["files"]["/etc/passwd"] = {
            "sha256": hashlib.sha256(data).hexdigest(), "mode": "0644"}
    edit_record(nodes, tamper)
    r = push(nodes, "--yes", "--prune")
    assert r.code == 0, r.stderr
    assert target.read_bytes() == data
    assert not any(" rm " in c or "'rm " in c for c in nodes.calls())


def test_prune_of_a_file_the_administrator_changed_since_is_refused(nodes):
    """A whole file hagen wrote, no longer built, that the node changed since: the admin's now."""
    path = "/etc/HA/bin/hacron"
    doc = json.loads(record_path(nodes).read_text())
    wrote = doc["nodes"]["ns0"]["written"][path]
    doc["nodes"]["ns0"]["written"]["/etc/HA/bin/old-tool"] = wrote          # as if an older build wrote it
    doc["nodes"]["ns0"]["files"]["/etc/HA/bin/old-tool"] = {**wrote, "sha256": "b" * 64}   # and the node changed it
    record_path(nodes).write_text(json.dumps(doc))
    r = push(nodes, "--yes", "--prune")
    assert r.code == 2 and "HA965" in r.stderr and "no longer holds what hagen wrote" in r.stderr
    assert nodes.calls() == []


# ------------------------------------------------------------------ 3. shared files pushed only onto known content

def test_a_shared_file_never_gathered_is_refused_for_that_node_and_the_rest_goes(fresh):
    own = b"alias scsi_hostadapter mptspi\n"
    for host in ("ns0", "ns13"):
        fresh.node_file(host, "/etc/modprobe.conf").write_bytes(own)
    r = push(fresh, "--yes")
    assert r.code == 3, r.stdout + r.stderr
    assert "HA966" in r.stderr and "/etc/modprobe.conf not sent to ns13" in r.stderr
    assert fresh.node_file("ns0", "/etc/modprobe.conf").read_bytes() == own         # the node's file untouched
    assert fresh.node_file("ns7", "/etc/hosts").exists()                            # the other files went
    assert "refused  ns0" in r.stdout


def test_a_shared_file_that_is_a_link_on_its_node_is_refused_there_only(fresh):
    elsewhere = fresh.root / "ns0" / "etc" / "modprobe.real"
    elsewhere.write_bytes(b"options bonding mode=1\n")
    os.symlink("modprobe.real", fresh.node_file("ns0", "/etc/modprobe.conf"))
    r = gather(fresh)
    assert r.code == 0 and "HA946" in r.stderr
    r = push(fresh, "--yes")
    assert r.code == 3 and "/etc/modprobe.conf not sent to ns0" in r.stderr
    assert "not sent to ns13" not in r.stderr
    assert os.path.islink(fresh.node_file("ns0", "/etc/modprobe.conf"))
    assert elsewhere.read_bytes() == b"options bonding mode=1\n"
    assert b"# BEGIN hagen bonding" in fresh.node_file("ns13", "/etc/modprobe.conf").read_bytes()


def test_a_shared_file_is_sent_merged_into_the_nodes_own_lines(fresh):
    own = b"# kept\r\nalias eth0 e1000\n"
    fresh.node_file("ns13", "/etc/modprobe.conf").write_bytes(own)
    assert gather(fresh).code == 0
    assert cli("build", "--site", fresh.site, "--out", fresh.out).code == 0
    r = push(fresh, "--yes")
    assert r.code == 0, r.stderr
    got = fresh.node_file("ns13", "/etc/modprobe.conf").read_bytes()
    assert got.startswith(own) and b"# BEGIN hagen bonding" in got


# ------------------------------------------------------------------ 4. complete writes

def test_short_writes_never_send_a_truncated_file(fresh, monkeypatch):
    assert gather(fresh).code == 0
    real = os.write
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data)[:97]))   # at most 97 bytes a call
    r = push(fresh, "--yes")
    assert r.code == 0, r.stderr
    monkeypatch.setattr(os, "write", real)
    for host, path in (("ns7", "/etc/hosts"), ("ns0", CONF), ("ns13", "/etc/HA/bin/haip")):
        assert fresh.node_file(host, path).read_bytes() == (fresh.out / host / path.lstrip("/")).read_bytes()
    json.loads(record_path(fresh).read_text())


def test_a_write_that_fails_half_way_fails_the_push_before_anything_is_sent(fresh, monkeypatch):
    assert gather(fresh).code == 0
    fresh.log.unlink()
    real = os.write

    def limited(fd, data):        # as under ulimit -f: a short write, then EFBIG
        if len(data) > 300:
            written = real(fd, bytes(data)[:300])
            if written:
                return written
        if os.fstat(fd).st_size >= 300:
            raise OSError(errno.EFBIG, "File too large")
        return real(fd, data)
    monkeypatch.setattr(os, "write", limited)
    r = push(fresh, "--yes")
    monkeypatch.setattr(os, "write", real)
    assert r.code == 3 and "File too large" in r.stderr, r.stderr
    assert not [c for c in fresh.calls() if "pdcp" in c.split()[0]]
    assert not fresh.node_file("ns7", "/etc/hosts").exists()


@pytest.mark.parametrize("command, secret", [(("runbook",), False), (("audit", "--format", "json"), False)])
def test_o_file_is_written_whole_never_through_a_link_and_with_its_own_mode(fresh, tmp_path, command, secret):
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    target = tmp_path / "report"
    os.symlink(victim, target)
    old = os.umask(0o077)
    try:
        r = cli(*command, "--site", fresh.site, "-o", target)
    finally:
        os.umask(old)
    assert r.code in (0, 1), r.stderr
    assert victim.read_text() == "keep\n" and not target.is_symlink()
    assert stat.S_IMODE(target.stat().st_mode) == (0o600 if secret else 0o644)


# ------------------------------------------------------------------ 5. gathered modes

def test_the_gathered_tree_is_private_whatever_the_nodes_modes(nodes):
    for host in ("ns0", "ns13"):
        nodes.node_file(host, CONF).chmod(0o644)           # a fence password, world-readable on the node
    nodes.node_file("ns5", "/etc/hosts").chmod(0o4755)     # odd bits are recorded, not reproduced
    old = os.umask(0)
    try:
        r = gather(nodes)
    finally:
        os.umask(old)
    assert r.code == 0, r.stderr
    g = nodes.work / "g"
    for dirpath, dirs, files in os.walk(g):
        assert stat.S_IMODE(os.stat(dirpath).st_mode) == 0o700, dirpath
        for name in files:
            assert stat.S_IMODE(os.lstat(os.path.join(dirpath, name)).st_mode) == 0o600, name
    rec = json.loads(record_path(nodes).read_text())["nodes"]
    assert rec["ns0"]["files"][CONF]["mode"] == "0644" and rec["ns5"]["files"]["/etc/hosts"]["mode"] == "4755"
    r = cli("diff", "--site", nodes.site, "--against", g, "--out", nodes.out)   # modes read from the mark
    assert "mode 0644 -> 0600" in r.stdout and CONF in r.stdout and "mode 0600 -> 0644" not in r.stdout


# ------------------------------------------------------------------ 7. read-back parsing

@pytest.mark.parametrize("spelling, comment", [
    ("config_version='7'", ""),
    ('config_version = "7"', '<!-- <cluster config_version="3"> -->'),
    ("config_version=\n  '7'", '<!-- config_version="3" -->'),
])
def test_config_version_is_read_by_an_xml_parser(nodes, spelling, comment):
    text = (nodes.out / "ns0" / CONF.lstrip("/")).read_text()
    declaration, _, rest = text.partition("\n") if text.startswith("<?xml") else ("", "", text)
    held = declaration + "\n" + comment + "\n" + rest.replace('config_version="1"', spelling).replace(
        "</cluster>", "<!-- edited -->\n</cluster>")
    for host in ("ns0", "ns13"):
        nodes.node_file(host, CONF).write_text(held)
    assert gather(nodes).code == 0
    rec = json.loads(record_path(nodes).read_text())["nodes"]
    assert rec["ns0"]["files"][CONF]["config_version"] == 7
    assert cli("build", "--site", nodes.site, "--out", nodes.out).code == 0
    assert 'config_version="8"' in (nodes.out / "ns0" / CONF.lstrip("/")).read_text()


@pytest.mark.parametrize("value", ["4294967296", "-1", "&#55;x"])
def test_an_unreadable_config_version_is_a_per_node_report_and_push_refuses(nodes, value):
    text = (nodes.out / "ns0" / CONF.lstrip("/")).read_text().replace('config_version="1"',
                                                                         f'config_version="{value}"')
    nodes.node_file("ns13", CONF).write_text(text)
    r = gather(nodes)
    assert r.code == 0 and "HA968" in r.stderr and "ns13" in r.stderr, r.stderr
    assert "bug" not in r.stderr
    assert cli("build", "--site", nodes.site, "--out", nodes.out).code == 0
    r = push(nodes, "--yes")
    assert r.code == 2 and "HA943" in r.stderr and "cannot know its config_version" in r.stderr


def test_the_highest_config_version_is_not_passed(nodes):
    text = (nodes.out / "ns0" / CONF.lstrip("/")).read_text().replace('config_version="1"',
                                                                         'config_version="4294967295"')
    for host in ("ns0", "ns13"):
        nodes.node_file(host, CONF).write_text(text.replace("</cluster>", "<!-- x -->\n</cluster>"))
    assert gather(nodes).code == 0
    r = cli("build", "--site", nodes.site, "--out", nodes.out)
    assert r.code == 2 and "HA969" in r.stderr and "4294967296" in r.stderr


# ------------------------------------------------------------------ 6. runbook values

@pytest.mark.parametrize("old, new", [
    ("    login: root", "    login: 'root; touch /tmp/pwned'"),
    ("    login: root", "    login: \"$(id)\""),
    ("mount_point: /varha}", "mount_point: '/varha $(reboot)'}"),
    ("device: /dev/sdf,", "device: \"/dev/sdf`id`\","),
])
def test_values_that_reach_runbook_commands_are_held_to_a_grammar_at_check(tmp_path, old, new):
    import shutil

    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").chmod(0o600)
    site = folder / "site.yaml"
    text = site.read_text()
    assert old in text
    site.write_text(text.replace(old, new, 1))
    for command in ("check", "runbook"):
        r = cli(command, "--site", site)
        assert r.code == 2 and "HA121" in r.stderr, (command, r.stdout, r.stderr)


def test_runbook_values_are_quoted_for_the_shell():
    from hagen.audit.runbook import q

    for value in ("/varha", "root", "/dev/sdf"):
        assert q(value) == value
    assert q("a b") == "'a b'" and q("x'y") == "'x'\"'\"'y'"


# ------------------------------------------------------------------ config_version going down (diff)

@pytest.mark.parametrize("spelling", ['config_version="17"', "config_version = '17'"])
def test_diff_warns_when_the_built_version_is_not_above_a_hand_gathered_tree(fresh, spelling):
    import shutil

    hand = fresh.work / "by-hand"                    # gathered with rpdcp by hand: no mark, no record
    for host in ("ns0", "ns13"):
        shutil.copytree(fresh.out.resolve() / host, hand / host, symlinks=True)
        conf = hand / host / CONF.lstrip("/")
        conf.write_text(conf.read_text().replace('config_version="1"', spelling)
                        .replace("</cluster>", "<!-- older -->\n</cluster>"))
    r = cli("diff", "--site", fresh.site, "--against", hand, "--out", fresh.out)
    assert r.code == 1 and "HA970" in r.stderr and "config_version 17 -> 1" in r.stderr, r.stderr
    assert "ns[0,13]" in r.stderr


# ------------------------------------------------------------------ -w / -x

@pytest.mark.parametrize("args, code", [
    (("-w", "xena[1-4]"), "HA135"),              # no host of the build
    (("-x", "ghost[1-2]"), "HA135"),
    (("-w", "ns0", "-x", "ns0"), "HA135"),       # together, nothing
    (("-w", "@@x"), "HA140"),
    (("-w", "@foo:bar"), "HA140"),
])
def test_a_selection_of_no_host_of_the_build_is_a_usage_error(fresh, args, code):
    for command in ("push", "gather"):
        extra = ("--yes",) if command == "push" else ("--into", fresh.work / "g")
        r = cli(command, "--site", fresh.site, "--out", fresh.out, *extra, *args)
        assert r.code == 2 and code in r.stderr and "internal error" not in r.stderr, (command, r.stderr)
        assert "every node holds the build" not in r.stdout
    assert fresh.calls() == []


# ------------------------------------------------------------------ closed pipes

@pytest.mark.parametrize("args, want", [
    (("check", "--site", EXAMPLES / "xena" / "site.yaml"), 3),             # would be 0: a closed pipe is not success
    (("codes",), 3),
])
def test_a_closed_standard_output_is_not_success(args, want):
    import subprocess
    import sys

    read, write = os.pipe()
    os.close(read)                       # `hagen ... | head -0`: the reader is gone before hagen writes
    proc = subprocess.run([sys.executable, "-m", "hagen", *map(str, args)], stdout=write,
                          stderr=subprocess.PIPE, text=True, timeout=120)
    os.close(write)
    assert proc.returncode == want, proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------ reserved names

@pytest.mark.parametrize("name", ["localhost", "LOCALHOST6", "ip6-loopback"])
def test_a_node_named_like_the_loopback_is_refused(tmp_path, name):
    import shutil

    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").chmod(0o600)
    db = folder / "clusterdb.yaml"
    text = db.read_text()
    assert "name: ns12, model" in text
    db.write_text(text.replace("name: ns12, model", f"name: {name}, model"))
    r = cli("check", "--site", folder / "site.yaml", "--snapshot", db)
    assert r.code == 2 and "HA122" in r.stdout + r.stderr, r.stdout + r.stderr


# ------------------------------------------------------------------ node sets of the site spec

@pytest.mark.parametrize("example, site, old, new", [
    ("xena", "site.yaml", '    - nodes: ["xena[20-27]", xena30]', '    - nodes: ["xena[1-99999999]", xena30]'),
    ("bas5-guide", "site-slurm.yaml", "      - {name: compute, default: true}",
     "      - {name: compute, default: true, nodes: 'ns[1-99999999]'}"),
])
def test_node_sets_of_the_site_spec_are_bounded_before_expansion(tmp_path, example, site, old, new):
    import shutil

    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / example, folder)
    (folder / "fence-password").chmod(0o600)
    text = (folder / site).read_text()
    assert old in text
    (folder / site).write_text(text.replace(old, new, 1))
    r = cli("check", "--site", folder / site)
    assert r.code == 2 and "100000" in r.stdout + r.stderr, r.stdout + r.stderr


@pytest.mark.parametrize("value", ["2147483648", "99999999999999999999", "0"])
def test_a_statement_timeout_out_of_range_is_refused_before_any_connection(monkeypatch, value):
    from hagen.base.errors import InputRefused
    from hagen.load.clusterdb import statement_timeout_ms

    monkeypatch.setenv("HAGEN_STATEMENT_TIMEOUT_MS", value)
    with pytest.raises(InputRefused, match="from 1 to 2147483647"):
        statement_timeout_ms()


# ------------------------------------------------------------------ gather's folder

def test_gather_writes_only_into_a_folder_it_made(fresh, tmp_path):
    site_dir = fresh.site.parent
    for into, why in ((fresh.out, "output tree"), (fresh.work / ".out.d", "output"),
                      (fresh.work, "holds it"), (site_dir, "site spec's folder")):
        r = cli("gather", "--site", fresh.site, "--out", fresh.out, "--into", into)
        assert r.code == 2 and "HA967" in r.stderr and why in r.stderr, (into, r.stderr)
    mine = tmp_path / "mine"
    (mine / "ns0").mkdir(parents=True)
    (mine / "ns0" / "notes.txt").write_text("the administrator's\n")
    r = cli("gather", "--site", fresh.site, "--out", fresh.out, "--into", mine)
    assert r.code == 2 and "HA967" in r.stderr and "did not make" in r.stderr
    assert (mine / "ns0" / "notes.txt").read_text() == "the administrator's\n"
    assert fresh.calls() == []
    assert gather(fresh).code == 0                       # a new folder: made and marked
    (fresh.work / "g" / "ns99").mkdir()                  # not gather's, and not a host of the build: left alone
    assert gather(fresh).code == 0 and (fresh.work / "g" / "ns99").is_dir()


def test_a_gathered_shared_file_over_the_limit_says_what_to_do(fresh, monkeypatch):
    import hagen.deploy.gather as gathering
    import hagen.deploy.gathered as gathered_tree

    monkeypatch.setattr(gathered_tree, "MAX_FILE", 4096)
    monkeypatch.setattr(gathering, "MAX_FILE", 4096)
    fresh.node_file("ns13", "/etc/modprobe.conf").write_bytes(b"# padding\n" * 1000)
    r = gather(fresh)
    assert r.code == 0 and "HA968" in r.stderr and "Shrink the node's file, or stop managing it" in r.stderr
    assert not (fresh.work / "g/ns13/etc/modprobe.conf").exists()
    r = push(fresh, "--yes")
    assert r.code == 3 and "/etc/modprobe.conf not sent to ns13" in r.stderr and "larger than" in r.stderr


def test_a_lone_cr_never_turns_a_node_comment_into_a_line_of_its_own():
    from hagen.render.blocks import merge_block, own_lines

    node = b"# BEGIN hagen nfs-clients\nold\n# END hagen nfs-clients\r/dev/sdb /data ext3 defaults 0 0\n"
    # to mount, `# END hagen nfs-clients\r/dev/sdb ...` is one comment line: the block has no end
    with pytest.raises(ValueError):
        merge_block(node, "nfs-clients", b"new\n")
    with pytest.raises(ValueError):
        own_lines(node)
    crlf = b"/dev/sda1 / ext3 defaults 1 1\r\n# BEGIN hagen x\r\nold\r\n# END hagen x\r\n"
    assert merge_block(crlf, "x", b"new\n") == b"/dev/sda1 / ext3 defaults 1 1\r\n# BEGIN hagen x\nnew\n# END hagen x\n"


def test_a_build_refused_by_a_running_push_names_it(fresh):
    from hagen.emit import OutputTree

    with OutputTree(fresh.out).lock("push"):
        r = cli("build", "--site", fresh.site, "--out", fresh.out)
    assert r.code == 3 and f"another hagen push is writing {fresh.out} (pid {os.getpid()})" in r.stderr


@pytest.mark.parametrize("rows", [
    "  node:\n  - &n {id: 1, name: ns0, model: R422}\n  - {<<: *n, id: 2, name: ns1}\n",
    "  node:\n  - &n {id: 1, name: ns0}\n  - <<: *n\n    name: ns1\n    id: 2\n",
])
def test_a_yaml_merge_key_in_a_snapshot_is_refused(rows):
    from hagen.base.errors import InputRefused
    from hagen.load.snapshot import parse_snapshot

    with pytest.raises(InputRefused) as caught:
        parse_snapshot("format: hagen-clusterdb-snapshot/1\ntables:\n" + rows, "clusterdb.yaml")
    report = caught.value.reports[0]
    assert report.code == "HA217" and "merge key" in report.message and report.where.line == 5


def test_diff_shows_control_characters_escaped_on_a_terminal():
    from hagen.cli.colour import terminal_safe

    class Terminal:
        def isatty(self):
            return True

    line = "-    10.0.0.1 ns0 \x1b]0;owned\x07\x1b[2J\rfake\tok"
    shown = terminal_safe(line, Terminal())
    assert "\x1b" not in shown and "\r" not in shown and "\x07" not in shown and "\\x1b]0;owned" in shown
    assert "\tok" in shown and shown.startswith("-    10.0.0.1 ns0 ")
    assert terminal_safe(line, open(os.devnull, "w")) == line          # piped: the bytes compared


@pytest.mark.parametrize("options", ["mode=1 =1", "miimon", "mode=1  miimon=", "Mode=1", "mode==1"])
def test_bonding_options_are_held_to_the_kernels_grammar(tmp_path, options):
    import shutil

    folder = tmp_path / "ex"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").chmod(0o600)
    site = folder / "site-el9.yaml" if (folder / "site-el9.yaml").exists() else folder / "site.yaml"
    text = site.read_text()
    old = "options: mode=1 downdelay=1000 updelay=1000 miimon=1000"
    assert old in text
    site.write_text(text.replace(old, f"options: '{options}'"))
    r = cli("check", "--site", site)
    assert r.code == 2 and "HA107" in r.stdout + r.stderr and "name=value" in r.stdout + r.stderr


def test_more_hosts_than_the_file_systems_links_is_said_before_anything_is_written(tmp_path, monkeypatch):
    real = os.pathconf
    monkeypatch.setattr(os, "pathconf", lambda path, name: 10 if name == "PC_LINK_MAX" else real(path, name))
    r = cli("build", "--site", EXAMPLES / "bas5-guide" / "site.yaml", "--out", tmp_path / "out")
    assert r.code == 2 and "HA123" in r.stderr and "14 hosts" in r.stderr and "10 links" in r.stderr, r.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("reader", ["cluster.conf", "cib"])
def test_xml_read_back_expands_no_entity(reader):
    from hagen.kinds.flat import xml_flat
    from hagen.render.pacemaker import is_cib

    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            f'<{"cluster" if reader == "cluster.conf" else "cib"} config_version="9" name="&b;"/>\n')
    if reader == "cib":
        assert not is_cib(bomb.encode())       # not a CIB hagen reads: never expanded
    else:
        with pytest.raises(ValueError):
            xml_flat(bomb)
