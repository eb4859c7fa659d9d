"""Site lines hagen must not erase (a real site's first week): slurm.conf keeps the site's
node hardware, limits and tuning, by SLURM's own Include of a file hagen never writes
(batch.slurm.include) or as a managed block (shared_files, the example's way)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from hagen.compile.pipeline import build

SITE_LINES = b"NodeName=DEFAULT CPUs=32 RealMemory=128000\nSelectType=select/cons_tres\n"


def _edit(folder, fn, name="site-slurm22.yaml"):
    path = folder / name
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _include(doc, path="/etc/slurm/slurm.site.conf"):
    doc["shared_files"].remove("/etc/slurm/slurm.conf")
    doc["batch"]["slurm"]["include"] = path


def test_the_include_comes_before_hagens_node_lines(example_copy, tmp_path):
    site = _edit(example_copy("bas5-guide"), _include)
    build(site, tmp_path / "out")
    text = (tmp_path / "out/ns5/etc/slurm/slurm.conf").read_text()
    assert "\nInclude /etc/slurm/slurm.site.conf\n" in text
    assert text.index("\nInclude ") < text.index("\nNodeName=") < text.index("\nPartitionName=")
    assert "# BEGIN hagen" not in text          # written whole: the site's lines are in its own file


@pytest.mark.skipif(shutil.which("slurmctld") is None, reason="slurmctld missing (apt-get install slurmctld)")
def test_slurmctld_reads_the_site_file_hagen_includes(example_copy, tmp_path):
    own = tmp_path / "slurm.site.conf"
    own.write_bytes(SITE_LINES)
    site = _edit(example_copy("bas5-guide"), lambda d: _include(d, str(own)))
    build(site, tmp_path / "out")
    conf = (tmp_path / "out/ns5/etc/slurm/slurm.conf").resolve()
    proc = subprocess.run(["slurmctld", "-D", "-f", str(conf), "-L", str(tmp_path / "log")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=30)
    log = proc.stdout + proc.stderr + ((tmp_path / "log").read_text() if (tmp_path / "log").exists() else "")
    assert "Parsing error" not in log and "cannot stat file" not in log, log


def test_the_example_keeps_the_nodes_own_slurm_lines_around_hagens_block(example_copy, tmp_path, monkeypatch):
    """The example's way: slurm.conf in shared_files; the node's lines, as gathered, stay."""
    folder = example_copy("bas5-guide")
    node_file = SITE_LINES + b"# BEGIN hagen slurm-conf\nold\n# END hagen slurm-conf\nPartitionName=DEFAULT MaxTime=24:00:00\n"
    monkeypatch.setattr("hagen.emit.nodes.node_content",
                        lambda nodes, tree, host, path: node_file if path == "/etc/slurm/slurm.conf" else None)
    build(folder / "site-slurm22.yaml", tmp_path / "out")
    got = (tmp_path / "out/ns5/etc/slurm/slurm.conf").read_bytes()
    assert got.startswith(SITE_LINES) and got.endswith(b"PartitionName=DEFAULT MaxTime=24:00:00\n")
    assert b"SlurmctldHost=ns0(10.1.0.1)\n" in got and b"\nold\n" not in got
