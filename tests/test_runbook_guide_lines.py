"""The runbook's lustre_util and o2cb lines against the guide (6.3.9, 10.2.1) and what hagen
writes: each expectation follows the file the step relies on."""

from __future__ import annotations

import shutil

from conftest import EXAMPLES
from hagen.audit import compile_for_audit
from hagen.audit.runbook import runbook


def _step(book, title):
    return next(st for s in book["sections"] for st in s["steps"] if st["title"] == title)


def test_the_lustre_failover_expected_is_what_the_model_file_says(tmp_path):
    """6.3.9: `failover: yes` in the model file is what makes lustre_util set up the secondary;
    lustre_fs.failover 'no' wins over the secondaries the ClusterDB names."""
    folder = tmp_path / "xena"
    shutil.copytree(EXAMPLES / "xena", folder)
    snapshot = folder / "clusterdb.yaml"
    text = snapshot.read_text()
    assert text.count("failover: 'yes'") == 1
    snapshot.write_text(text.replace("failover: 'yes'", "failover: 'no'"))
    compiled = compile_for_audit(folder / "site.yaml")
    model = next(f for f in compiled.files if f.path == "/etc/lustre/models/scratch.lmf")
    assert b"\nfailover: no\n" in model.data
    expect = _step(runbook(compiled), "format file system scratch")["expect"]
    assert "info shows failover no" in expect and "(failover" not in expect, expect
    data = _step(runbook(compiled), "format file system data")["expect"]
    assert "info shows failover yes" in data and "(failover xena1)" in data       # null: every target paired


def test_the_ocfs2_file_system_is_mounted_at_boot_as_the_fstab_line_expects():
    """10.2.1: the _netdev fstab line mounts only when o2cb starts the cluster at boot (o2cb
    configure) and the ocfs2 service mounts the ocfs2 lines."""
    compiled = compile_for_audit(EXAMPLES / "bas5-guide" / "site-slurm.yaml")
    step = _step(runbook(compiled), "o2cb on both management nodes")
    commands = step["commands"]
    assert commands[0].startswith("/etc/init.d/o2cb configure") and "cluster to start on boot: ocfs2" in commands[0]
    assert "chkconfig o2cb on" in commands and "chkconfig ocfs2 on" in commands
    assert "/etc/init.d/o2cb online ocfs2" in commands
    assert "O2CB_BOOTCLUSTER=ocfs2" in step["expect"]
    assert "chkconfig ocfs2 off" in step["rollback"]
