"""A manifest read back is validated or treated as absent, and the next build repairs the tree
(docs/security.md, "The output store"); a build's extra manifest keys are kept."""

from __future__ import annotations

import json
import os

import pytest

from cli_runner import cli
from faults_helpers import assert_complete
from hagen.emit import MANIFEST, OutputTree, valid_manifest
from hagen.base.errors import OutputError
from store_helpers import SITE, baseline, built  # noqa: F401 (fixtures)


# --------------------------------------------------------------------------- the manifest read back

def test_a_manifest_entry_removed_by_hand_is_repaired(built):
    good = (built / MANIFEST).read_bytes()
    manifest = json.loads(good)
    manifest["files"] = [e for e in manifest["files"] if e["path"] != "/etc/ntp.conf"]
    os.chmod(built / MANIFEST, 0o600)
    (built / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 0 and "up to date" not in res.stdout, res.output
    assert (built / MANIFEST).read_bytes() == good


@pytest.mark.parametrize("edit", [
    lambda m: m["files"][0].update(hosts="ns[0-"),
    lambda m: m["files"][0].update(path="/etc/../../../etc/shadow"),
    lambda m: m["files"][0].update(path="etc/hosts"),
    lambda m: m["files"][0].update(hosts="-oProxyCommand=x"),
    lambda m: m["files"][1].update(sha256="../../x"),
    lambda m: m["files"][1].update(mode="0999"),
    lambda m: m.update(format="hagen-manifest/0"),
    lambda m: m.update(files={}),
    lambda m: m.update(hosts="ns[0-100000000]"),
], ids=["hosts-unparsable", "dotdot", "relative", "host-option", "sha256", "mode", "format", "files", "huge"])
def test_a_malformed_manifest_is_treated_as_absent_and_the_build_repairs_it(built, edit):
    good = (built / MANIFEST).read_bytes()
    manifest = json.loads(good)
    edit(manifest)
    assert valid_manifest(json.loads(json.dumps(manifest))) is None
    os.chmod(built / MANIFEST, 0o600)
    (built / MANIFEST).write_text(json.dumps(manifest))
    assert OutputTree(built).manifest() is None
    res = cli("diff", "--site", SITE, "--against", built)
    assert res.code in (0, 1) and "Traceback" not in res.output, res.output
    res = cli("build", "--site", SITE, "--out", built)
    assert res.code == 0, res.output
    assert (built / MANIFEST).read_bytes() == good


def test_extra_manifest_keys_are_written_and_accepted(built):
    tree = OutputTree(built)
    with tree.lock():
        files = tree.carried(set())
        tree.commit(files, extra={"expected": {"ns0": {"/etc/hosts": "x"}}})
        with pytest.raises(OutputError):
            tree.commit(files, extra={"files": []})
    manifest = OutputTree(built).manifest()
    assert manifest["expected"] == {"ns0": {"/etc/hosts": "x"}}
    assert_complete(built)


def test_a_manifest_giving_one_host_a_path_twice_is_not_valid(built):
    manifest = json.loads((built / MANIFEST).read_text())
    entry = next(e for e in manifest["files"] if e["path"] == "/etc/ntp.conf")
    manifest["files"].append(dict(entry, hosts="ns13", sha256="0" * 64))
    assert valid_manifest(manifest) is None
