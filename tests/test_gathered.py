"""hagen.deploy.gathered: a tree from elsewhere, read without following links, never hanging."""

from __future__ import annotations

import json
import os

import pytest

from hagen.base.errors import InputRefused
from hagen.deploy.gathered import LINK, ForeignTree


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "gathered"
    (root / "ns0/etc/HA").mkdir(parents=True)
    (root / "ns0/etc/ntp.conf").write_text("server a\n")
    (root / "ns0/etc/ntp.conf").chmod(0o640)
    (root / "ns0/usr/sbin").mkdir(parents=True)
    (root / "ns0/usr/sbin/link").symlink_to("/usr/sbin/target")
    return root


def test_files_links_and_absent_ones(tree):
    t = ForeignTree(tree)
    assert t.scan() == {("ns0", "/etc/ntp.conf"), ("ns0", "/usr/sbin/link")}
    assert t.read("ns0", "/etc/ntp.conf") == (b"server a\n", 0o640)
    assert t.read("ns0", "/usr/sbin/link") == (b"/usr/sbin/target", LINK)
    assert t.read("ns0", "/etc/missing") is None and t.read("ns9", "/etc/ntp.conf") is None


def test_a_host_folder_may_be_a_link(tree, tmp_path):
    (tree / "ns1").symlink_to(tree / "ns0")
    assert ForeignTree(tree).read("ns1", "/etc/ntp.conf") == (b"server a\n", 0o640)


@pytest.mark.parametrize("make, words", [
    (lambda p: os.mkfifo(p), "a FIFO"),
    (lambda p: p.mkdir(), "a folder"),
])
def test_what_is_not_a_file_is_refused(tree, make, words):
    target = tree / "ns0/etc/cluster.conf"
    make(target)
    with pytest.raises(InputRefused) as info:
        ForeignTree(tree).read("ns0", "/etc/cluster.conf")
    assert info.value.reports[0].code == "HA132" and words in info.value.reports[0].message
    if words == "a FIFO":
        with pytest.raises(InputRefused):
            ForeignTree(tree).scan()


def test_a_link_on_the_way_is_refused_not_followed(tree, tmp_path):
    secret = tmp_path / "private"
    secret.mkdir()
    (secret / "shadow").write_text("root:hash\n")
    (tree / "ns0/etc/cluster").symlink_to(secret)
    with pytest.raises(InputRefused) as info:
        ForeignTree(tree).read("ns0", "/etc/cluster/shadow")
    assert "below a symbolic link" in info.value.reports[0].message


def test_a_missing_root_is_ha131(tmp_path):
    with pytest.raises(InputRefused) as info:
        ForeignTree(tmp_path / "none").check_root()
    assert info.value.reports[0].code == "HA131"


def test_the_manifest_says_what_hagen_manages_or_nothing(tree):
    (tree / ".hagen").mkdir()
    manifest = tree / ".hagen/manifest.json"
    entry = {"path": "/etc/ntp.conf", "hosts": "ns[0-1]", "mode": "0644", "sha256": "a" * 64, "size": 1,
             "template": "t"}
    manifest.write_text(json.dumps({"format": "hagen-manifest/1", "hosts": "ns[0-1]", "files": [entry]}))
    assert ForeignTree(tree).managed() == {("ns0", "/etc/ntp.conf"), ("ns1", "/etc/ntp.conf")}
    # read by the manifest's one reader (hagen.emit.manifest.valid_manifest): what it refuses is no manifest
    for bad in ({"path": "/etc/../shadow"}, {"hosts": "ns[0-"}, {"hosts": "ns[1-100000000]"},
                {"hosts": "-oProxyCommand=x"}, {"mode": "644"}):
        manifest.write_text(json.dumps({"format": "hagen-manifest/1", "hosts": "ns[0-1]", "files": [{**entry, **bad}]}))
        assert ForeignTree(tree).managed() is None, bad
    manifest.write_text(json.dumps({"files": [{"path": "/etc/ntp.conf", "hosts": "ns[0-1]"}]}))
    assert ForeignTree(tree).managed() is None                  # no format, no content: not one hagen wrote
    manifest.unlink()
    elsewhere = tree.parent / "m.json"
    elsewhere.write_text(json.dumps({"files": [{"path": "/etc/ntp.conf", "hosts": "ns0"}]}))
    manifest.symlink_to(elsewhere)
    assert ForeignTree(tree).managed() is None                  # a planted link is not followed
