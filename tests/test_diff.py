"""hagen diff: exit status as diff(1), each change once with its hosts folded, secrets masked,
only what hagen manages compared, a tree from elsewhere read without trusting it."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest

from cli_runner import cli, run_hagen
from conftest import EXAMPLES, tree_state

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    out = tmp_path_factory.mktemp("diff") / "out"
    r = cli("build", "--site", SITE, "--out", out)
    assert r.code == 0, r.output
    return out


@pytest.fixture
def built(built_once, tmp_path):
    """A private copy of one build (a plain tree with its manifest), safe to edit."""
    out = tmp_path / "out"
    shutil.copytree(built_once.resolve(), out, symlinks=True)
    return out


def edited(example_copy, old, new):
    folder = example_copy("bas5-guide")
    text = (folder / "site.yaml").read_text()
    assert old in text
    (folder / "site.yaml").write_text(text.replace(old, new))
    return folder / "site.yaml"


def test_a_fresh_build_has_no_difference(built):
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 0, r.output
    assert r.stdout.splitlines()[0].startswith("0 of ")


def test_an_edited_file_is_named_with_host_path_and_change(built):
    before = tree_state(built)
    ntp = built / "ns13/etc/ntp.conf"
    ntp.write_text(ntp.read_text().replace("tinker panic 0", "tinker panic 1"))   # a new inode: ns13 only
    r = run_hagen("diff", "--site", SITE, "--against", built)
    assert r.code == 1, r.output
    assert "1 changed" in r.stdout.splitlines()[0]
    assert "changed /etc/ntp.conf on ns13" in r.stdout
    assert "-tinker panic 1" in r.stdout and "+tinker panic 0" in r.stdout
    after = tree_state(built)
    assert after["ns13/etc/ntp.conf"] != before["ns13/etc/ntp.conf"]   # diff wrote nothing back


def test_a_site_change_for_both_nodes_is_shown_once_folded(built, example_copy):
    site = edited(example_copy, "service_name: HA_NSM", "service_name: HA_MGMT")
    r = cli("diff", "--site", site, "--against", built)
    assert r.code == 1
    assert r.stdout.count("changed /etc/cluster/cluster.conf on ns[0,13]") == 1
    assert "~ /cluster/@config_version: 1 -> 2" in r.stdout
    # an element with a name is named by it: the renamed service is one gone, one new
    assert "- /cluster/rm[1]/service[name=HA_NSM]/@name: HA_NSM" in r.stdout
    assert "+ /cluster/rm[1]/service[name=HA_MGMT]/@name: HA_MGMT" in r.stdout


def test_xml_elements_are_named_by_their_name_attribute_and_one_file_is_singular():
    from hagen.kinds.flat import structured, xml_flat
    from hagen.review.diff import DiffResult, Change

    old = ('<cluster name="c" config_version="1"><fencedevices><fencedevice name="fence_vega1" ipaddr="10.0.0.1"/>'
           '<fencedevice name="fence_vega2" ipaddr="10.0.0.2"/></fencedevices></cluster>')
    new = old.replace("10.0.0.2", "10.0.0.3")
    assert structured(xml_flat(old), xml_flat(new)) == [
        "~ /cluster/fencedevices[1]/fencedevice[name=fence_vega2]/@ipaddr: 10.0.0.2 -> 10.0.0.3"]
    result = DiffResult("out", 2, [Change("added", "/etc/x", ["a"])])
    assert "1 file added" in result.summary


def test_ha_lists_are_diffed_by_line(built, example_copy):
    site = edited(example_copy, "    - /var/www\n", "")
    r = cli("diff", "--site", site, "--against", built)
    assert r.code == 1
    assert "changed /etc/HA/links on ns[0,13]" in r.stdout and "    - /var/www" in r.stdout


def test_name_value_files_are_diffed_by_key(built):
    ifcfg = built / "ns0/etc/sysconfig/network-scripts/ifcfg-bond0"
    ifcfg.write_text(ifcfg.read_text().replace("IPADDR=10.1.0.1", "IPADDR=10.1.0.2"))
    r = cli("diff", "--site", SITE, "--against", built)
    assert "~ IPADDR: 10.1.0.2 -> 10.1.0.1" in r.stdout


def test_added_and_removed_files(tmp_path):
    out = tmp_path / "out"
    assert cli("build", "--site", EXAMPLES / "bas5-guide" / "site-slurm.yaml", "--out", out).code == 0
    (out / "ns0/etc/HA/stray").write_text("x\n")             # never built by hagen: not "removed"
    (out / "ns13/etc/ntp.conf").unlink()
    r = cli("diff", "--site", SITE, "--against", out, "--format", "json")
    assert r.code == 1, r.output
    doc = json.loads(r.stdout)
    assert doc["format"] == "hagen-diff/1"
    kinds = {(c["kind"], c["path"], c["hosts"]) for c in doc["changes"]}
    assert ("added", "/etc/ntp.conf", "ns13") in kinds
    assert any(k == "removed" and "slurm" in p for k, p, _ in kinds), kinds   # built before, no longer
    assert not any(p == "/etc/HA/stray" for _, p, _ in kinds)


def test_a_gathered_tree_is_compared_on_what_hagen_manages_only(built, tmp_path):
    gathered = tmp_path / "gathered"
    shutil.copytree(built.resolve(), gathered, ignore=shutil.ignore_patterns(".hagen"))
    (gathered / "ns0/etc/passwd").write_text("root:x:0:0::/root:/bin/sh\n")   # the node's own file
    r = cli("diff", "--site", SITE, "--against", gathered, "--out", built)
    assert r.code == 0, r.output


def test_a_missing_against_folder_is_an_error(tmp_path):
    for against in (tmp_path / "nothing", SITE):
        r = cli("diff", "--site", SITE, "--against", against)
        assert r.code == 2 and "HA131" in r.stderr and "--against" in r.stderr, r.output


def test_a_new_file_is_shown_whole_with_its_secret_masked(built):
    (built / "ns0/etc/ntp.conf").unlink()
    (built / "ns0/etc/cluster/cluster.conf").unlink()
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 1
    assert "added /etc/ntp.conf on ns0" in r.stdout and "    + peer 10.1.0.13" in r.stdout
    assert 'passwd="********"' in r.stdout and "bas5-dummy-secret" not in r.output
    assert "<fencedevices>" in r.stdout
    r = cli("diff", "--site", SITE, "--against", built, "--show-secrets")
    assert 'passwd="bas5-dummy-secret"' in r.stdout


def test_a_moved_ha_list_entry_is_named(built):
    start = built / "ns0/etc/HA/start"
    entries = [ln for ln in start.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(entries) >= 3
    text = start.read_text()
    start.write_text(text.replace(entries[0] + "\n", "").replace(entries[2] + "\n", entries[2] + "\n" + entries[0] + "\n"))
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 1
    assert f"~ {entries[0]}: moved from entry 3 to entry 1" in r.stdout, r.stdout
    assert f"+ {entries[0]}" not in r.stdout and f"- {entries[0]}" not in r.stdout


def test_secrets_are_masked_unless_asked(built, example_copy):
    folder = example_copy("bas5-guide")
    (folder / "fence-password").write_text("n3w-s3cret\n")
    r = cli("diff", "--site", folder / "site.yaml", "--against", built)
    assert r.code == 1
    assert "n3w-s3cret" not in r.output and "bas5-dummy-secret" not in r.output
    assert "********" in r.stdout
    r = cli("diff", "--site", folder / "site.yaml", "--against", built, "--show-secrets")
    assert "n3w-s3cret" in r.stdout


def test_diff_against_a_gathered_plain_tree(built, tmp_path):
    import shutil

    plain = tmp_path / "gathered"
    shutil.copytree(built.resolve(), plain, ignore=shutil.ignore_patterns(".hagen"))
    r = cli("diff", "--site", SITE, "--against", plain)
    assert r.code == 0, r.output


def test_trouble_exits_2(tmp_path):
    r = cli("diff", "--site", tmp_path / "missing.yaml", "--against", tmp_path)
    assert r.code == 2 and "HA102" in r.stderr and "Traceback" not in r.output


def test_host_limits_the_diff(built):
    ntp = built / "ns13/etc/ntp.conf"
    ntp.write_text("restrict default\n")
    r = cli("diff", "--site", SITE, "--against", built, "--host", "ns0")
    assert r.code == 0, r.output


def test_symbolic_links_compare_by_target(tmp_path):
    xena = EXAMPLES / "xena" / "site.yaml"
    out = tmp_path / "out"
    assert cli("build", "--site", xena, "--out", out).code == 0
    r = cli("diff", "--site", xena, "--against", out)
    assert r.code == 0, r.output
    links = [p for p in out.resolve().rglob("lustre_failover_*") if p.is_symlink()]
    assert links
    links[0].unlink()
    links[0].symlink_to("/usr/sbin/elsewhere")
    r = cli("diff", "--site", xena, "--against", out)
    assert r.code == 1
    assert "symbolic link -> /usr/sbin/elsewhere -> symbolic link -> /usr/sbin/lustre_failover" in r.stdout


# --------------------------------------------------------------------------- trouble is 2, never a traceback


def test_a_fifo_in_the_compared_tree_is_refused_at_once(built):
    conf = built / "ns0/etc/cluster/cluster.conf"
    conf.unlink()
    os.mkfifo(conf)
    r = run_hagen("diff", "--site", SITE, "--against", built)     # a child: a read that blocked would time out
    assert r.code == 2 and "HA132" in r.stderr and "a FIFO" in r.stderr, r.output
    assert "Traceback" not in r.output


def test_a_folder_where_a_file_is_expected_is_refused(built):
    ntp = built / "ns13/etc/ntp.conf"
    ntp.unlink()
    ntp.mkdir()
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 2 and "HA132" in r.stderr and "/etc/ntp.conf is a folder" in r.stderr, r.output


def test_an_unreadable_file_is_trouble_2_not_a_traceback(built, monkeypatch):
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, m, *a, **k: False if str(p).endswith("ntp.conf")
                        else real_access(p, m, *a, **k))
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 2 and "HA132" in r.stderr and "cannot be read" in r.stderr, r.output


def test_a_link_on_the_way_to_a_file_is_not_followed(built, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(built / "ns0/etc/HA", elsewhere)
    shutil.rmtree(built / "ns0/etc/HA")
    (built / "ns0/etc/HA").symlink_to(elsewhere)
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 2 and "HA132" in r.stderr and "below a symbolic link" in r.stderr, r.output


def test_a_malformed_gathered_cluster_conf_never_shows_its_password(built):
    """Defect: the old side did not parse, quoted its password with ' and was printed as is."""
    for host in ("ns0", "ns13"):
        conf = built / host / "etc/cluster/cluster.conf"
        text = conf.read_text().replace('passwd="bas5-dummy-secret"', "passwd='0ld-Pa55w0rd' ")
        conf.write_text(text.replace("</cluster>", "<cluster>"))       # and no longer XML
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == 1, r.output
    assert "changed /etc/cluster/cluster.conf on ns[0,13]" in r.stdout
    assert "0ld-Pa55w0rd" not in r.output and "bas5-dummy-secret" not in r.output
    assert "passwd='********'" in r.stdout


def test_host_must_name_hosts_of_the_build(built):
    r = cli("diff", "--site", SITE, "--against", built, "--host", "ns1x")
    assert r.code == 2 and "HA112" in r.stderr and "ns1x" in r.stderr, r.output
    r = cli("diff", "--site", SITE, "--against", built, "--host", "ns[1-100000000]")
    assert r.code == 2 and "HA130" in r.stderr, r.output
    r = cli("diff", "--site", SITE, "--against", built, "--host", "ns[0-")
    assert r.code == 2 and "HA109" in r.stderr


def test_a_bad_format_is_trouble_2(built):
    r = cli("diff", "--site", SITE, "--against", built, "--format", "xml")
    assert r.code == 2 and "HA134" in r.stderr


@pytest.mark.parametrize("exc, words", [(RuntimeError("boom"), "internal error"),
                                        (OSError(5, "Input/output error", "/x"), "Input/output error"),
                                        (KeyboardInterrupt(), "interrupted")])
def test_any_trouble_is_2_and_an_interrupt_130(built, monkeypatch, exc, words):
    import hagen.review.diff

    def broken(*a, **k):
        raise exc
    monkeypatch.setattr(hagen.review.diff, "diff_tree", broken)
    r = cli("diff", "--site", SITE, "--against", built)
    assert r.code == (130 if isinstance(exc, KeyboardInterrupt) else 2), r.output
    assert words in r.stderr and "Traceback" not in r.output


# --------------------------------------------------------------------------- --save-plan


def test_save_plan_records_what_to_send_and_remove(tmp_path):
    from hagen.deploy.pushplan import load_plan

    out = tmp_path / "out"
    assert cli("build", "--site", EXAMPLES / "bas5-guide" / "site-slurm.yaml", "--out", out).code == 0
    import hashlib

    built_ntp = hashlib.sha256((out / "ns13/etc/ntp.conf").read_bytes()).hexdigest()
    (out / "ns13/etc/ntp.conf").unlink()
    (out / "ns13/etc/ntp.conf").write_text("server elsewhere\n")      # a new inode: ns13 only
    plan = tmp_path / "plan.json"
    r = cli("diff", "--site", SITE, "--against", out, "--save-plan", plan)
    assert r.code == 1, r.output
    assert stat.S_IMODE(plan.stat().st_mode) == 0o600
    doc = load_plan(plan).to_json()
    assert doc["format"] == "hagen-push-plan/1"
    sends = {(e["host"], e["path"]) for e in doc["send"]}
    assert ("ns13", "/etc/ntp.conf") in sends and ("ns0", "/etc/ntp.conf") not in sends
    ntp = next(e for e in doc["send"] if e["path"] == "/etc/ntp.conf")
    assert ntp["sha256"] == built_ntp
    assert ntp["mode"] == "0644"
    # shown as removed, but no push ever wrote them on the nodes (no record says so): a plan
    # holds only the removals push may make (hagen.deploy.removals), never one it would refuse
    assert "removed /etc/slurm/slurm.conf" in r.stdout
    assert doc["remove"] == []
    first = plan.read_bytes()
    assert cli("diff", "--site", SITE, "--against", out, "--save-plan", plan).code == 1
    assert plan.read_bytes() == first                          # no timestamp: the same review, the same bytes
    assert "bas5-dummy-secret" not in first.decode()


def test_save_plan_into_an_unwritable_place_is_trouble_2(built, tmp_path):
    r = cli("diff", "--site", SITE, "--against", built, "--save-plan", tmp_path / "no" / "such" / "plan.json")
    assert r.code == 2 and "HA133" in r.stderr, r.output


def test_a_manifest_that_does_not_validate_is_not_trusted(tmp_path):
    """A hand-edited manifest (hosts: "ns[0-", an entry removed) is treated as absent, never
    a traceback nor an internal error: the tree is compared file by file."""
    out = tmp_path / "out"
    assert cli("build", "--site", SITE, "--out", out).code == 0
    manifest = out / ".hagen/manifest.json"
    doc = json.loads(manifest.read_text())
    doc["files"][0]["hosts"] = "ns[0-"
    manifest.unlink()
    manifest.write_text(json.dumps(doc))
    r = cli("diff", "--site", SITE, "--against", out)
    assert r.code == 0, r.output
    assert "internal error" not in r.output and "Traceback" not in r.output


def test_against_a_gathered_tree_the_plan_is_what_push_sends_from_out(tmp_path):
    """The nodes hold another cluster.conf (version 7): the plan's sha256 is out's, the file
    push would send, not a build computed against the gathered copy."""
    from hagen.deploy.pushplan import load_plan

    out = tmp_path / "out"
    assert cli("build", "--site", SITE, "--out", out).code == 0
    gathered = tmp_path / "gathered"
    shutil.copytree(out.resolve(), gathered, ignore=shutil.ignore_patterns(".hagen"))
    for host in ("ns0", "ns13"):
        conf = gathered / host / "etc/cluster/cluster.conf"
        conf.write_text(conf.read_text().replace('config_version="1"', 'config_version="7"')
                        .replace("HA_NSM", "HA_OLD"))
    plan = tmp_path / "plan.json"
    r = cli("diff", "--site", SITE, "--against", gathered, "--out", out, "--save-plan", plan)
    assert r.code == 1, r.output
    manifest = json.loads((out / ".hagen/manifest.json").read_text())
    built = {e["sha256"] for e in manifest["files"] if e["path"] == "/etc/cluster/cluster.conf"}
    sent = {e.sha256 for e in load_plan(plan).send if e.path == "/etc/cluster/cluster.conf"}
    assert sent and sent <= built, (sent, built)


def test_an_intact_output_tree_is_compared_by_its_manifest(tmp_path, example_copy, monkeypatch):
    """After a change of the inputs, diff reads from an intact tree only the files whose
    manifest entry differs from the build (at scale: a few files, not every host's)."""
    from hagen.deploy.gathered import ForeignTree

    out = tmp_path / "out"
    assert cli("build", "--site", SITE, "--out", out).code == 0
    site = edited(example_copy, "stratum: 10", "stratum: 8")
    read = []
    real = ForeignTree.read
    monkeypatch.setattr(ForeignTree, "read", lambda self, host, path: read.append((host, path)) or real(self, host, path))
    r = cli("diff", "--site", site, "--against", out)
    assert r.code == 1 and "changed /etc/ntp.conf on ns0" in r.stdout and "2 changed" in r.stdout, r.output
    assert sorted(r for r in read if r[0] != ".hagen") == [("ns0", "/etc/ntp.conf"), ("ns13", "/etc/ntp.conf")]
