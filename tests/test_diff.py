"""hagen diff: exit status as diff(1), each change once with its hosts folded, secrets masked."""

from __future__ import annotations

import json

import pytest

from conftest import EXAMPLES, run_hagen, tree_state

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


@pytest.fixture
def built(tmp_path):
    out = tmp_path / "out"
    r = run_hagen("build", "--site", SITE, "--out", out)
    assert r.code == 0, r.output
    return out


def edited(example_copy, old, new):
    folder = example_copy("bas5-guide")
    text = (folder / "site.yaml").read_text()
    assert old in text
    (folder / "site.yaml").write_text(text.replace(old, new))
    return folder / "site.yaml"


def test_a_fresh_build_has_no_difference(built):
    r = run_hagen("diff", "--site", SITE, "--against", built)
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
    r = run_hagen("diff", "--site", site, "--against", built)
    assert r.code == 1
    assert r.stdout.count("changed /etc/cluster/cluster.conf on ns[0,13]") == 1
    assert "~ /cluster/@config_version: 1 -> 2" in r.stdout
    assert "~ /cluster/rm[1]/service[1]/@name: HA_NSM -> HA_MGMT" in r.stdout


def test_ha_lists_are_diffed_by_line(built, example_copy):
    site = edited(example_copy, "    - /var/www\n", "")
    r = run_hagen("diff", "--site", site, "--against", built)
    assert r.code == 1
    assert "changed /etc/HA/links on ns[0,13]" in r.stdout and "    - /var/www" in r.stdout


def test_name_value_files_are_diffed_by_key(built):
    ifcfg = built / "ns0/etc/sysconfig/network-scripts/ifcfg-bond0"
    ifcfg.write_text(ifcfg.read_text().replace("IPADDR=10.1.0.1", "IPADDR=10.1.0.2"))
    r = run_hagen("diff", "--site", SITE, "--against", built)
    assert "~ IPADDR: 10.1.0.2 -> 10.1.0.1" in r.stdout


def test_added_and_removed_files(built):
    (built / "ns0/etc/HA/stray").write_text("x\n")
    (built / "ns13/etc/ntp.conf").unlink()
    r = run_hagen("diff", "--site", SITE, "--against", built, "--format", "json")
    assert r.code == 1
    doc = json.loads(r.stdout)
    kinds = {(c["kind"], c["path"], c["hosts"]) for c in doc["changes"]}
    assert ("added", "/etc/ntp.conf", "ns13") in kinds
    assert ("removed", "/etc/HA/stray", "ns0") in kinds


def test_secrets_are_masked_unless_asked(built, example_copy):
    folder = example_copy("bas5-guide")
    (folder / "fence-password").write_text("n3w-s3cret\n")
    r = run_hagen("diff", "--site", folder / "site.yaml", "--against", built)
    assert r.code == 1
    assert "n3w-s3cret" not in r.output and "bas5-guide-dummy-secret" not in r.output
    assert "********" in r.stdout
    r = run_hagen("diff", "--site", folder / "site.yaml", "--against", built, "--show-secrets")
    assert "n3w-s3cret" in r.stdout


def test_diff_against_a_gathered_plain_tree(built, tmp_path):
    import shutil

    plain = tmp_path / "gathered"
    shutil.copytree(built.resolve(), plain, ignore=shutil.ignore_patterns(".hagen"))
    r = run_hagen("diff", "--site", SITE, "--against", plain)
    assert r.code == 0, r.output


def test_trouble_exits_2(tmp_path):
    r = run_hagen("diff", "--site", tmp_path / "missing.yaml")
    assert r.code == 2 and "HA102" in r.stderr and "Traceback" not in r.output


def test_host_limits_the_diff(built):
    ntp = built / "ns13/etc/ntp.conf"
    ntp.write_text("restrict default\n")
    r = run_hagen("diff", "--site", SITE, "--against", built, "--host", "ns0")
    assert r.code == 0, r.output


def test_symbolic_links_compare_by_target(tmp_path):
    xena = EXAMPLES / "xena" / "site.yaml"
    out = tmp_path / "out"
    assert run_hagen("build", "--site", xena, "--out", out).code == 0
    r = run_hagen("diff", "--site", xena, "--against", out)
    assert r.code == 0, r.output
    links = [p for p in out.resolve().rglob("lustre_failover_*") if p.is_symlink()]
    assert links
    links[0].unlink()
    links[0].symlink_to("/usr/sbin/elsewhere")
    r = run_hagen("diff", "--site", xena, "--against", out)
    assert r.code == 1
    assert "symbolic link -> /usr/sbin/elsewhere -> symbolic link -> /usr/sbin/lustre_failover" in r.stdout
