"""hagen explain and hagen render: provenance and one file, without writing."""

from cli_runner import cli
from conftest import EXAMPLES

SITE = EXAMPLES / "bas5-guide" / "site.yaml"


def test_explain_names_template_rows_and_site_keys(tmp_path):
    r = cli("explain", "ns0", "/etc/cluster/cluster.conf", "--site", SITE, "--out", tmp_path / "out")
    assert r.code == 0, r.output
    assert "templates/cluster/mngt.conf.xml.j2" in r.stdout
    assert "da_iocell[name=ns_mngt]" in r.stdout and "management.fencing" in r.stdout
    assert "ns[0,13]" in r.stdout
    assert "bas5-dummy-secret" not in r.stdout
    assert not (tmp_path / "out").exists()


def test_render_prints_one_file_and_masks_secrets(tmp_path):
    r = cli("render", "ns13", "/etc/ntp.conf", "--site", SITE, "--out", tmp_path / "out")
    assert r.code == 0 and "peer 10.1.0.1\n" in r.stdout
    r = cli("render", "ns0", "etc/cluster/cluster.conf", "--site", SITE, "--out", tmp_path / "out")
    assert 'passwd="********"' in r.stdout
    r = cli("render", "ns0", "/etc/cluster/cluster.conf", "--site", SITE, "--out", tmp_path / "out", "--show-secrets")
    assert 'passwd="bas5-dummy-secret"' in r.stdout


def test_an_unknown_file_or_host_is_a_clear_error(tmp_path):
    r = cli("explain", "ns0", "/etc/nothing", "--site", SITE, "--out", tmp_path / "out")
    assert r.code == 2 and "HA108" in r.stderr and "/etc/ntp.conf" in r.stderr
    r = cli("render", "nohost", "/etc/ntp.conf", "--site", SITE, "--out", tmp_path / "out")
    assert r.code == 2 and "hosts of this build" in r.stderr


def test_explain_a_symbolic_link(tmp_path):
    r = cli("explain", "xena1", "/usr/sbin/lustre_failover_xena1", "--site", EXAMPLES / "xena" / "site.yaml",
            "--out", tmp_path / "out")
    assert r.code == 0, r.output
    assert "symlink    -> /usr/sbin/lustre_failover" in r.stdout
    assert not (tmp_path / "out").exists()


def test_every_artifact_of_every_example_names_where_it_comes_from(tmp_path):
    import pytest

    from hagen.emit import OutputTree
    from hagen.compile.pipeline import compile_site

    missing = []
    for site in sorted(EXAMPLES.glob("*/site*.yaml")):
        compiled = compile_site(site, OutputTree(tmp_path / "none"))
        for art in compiled.artifacts:
            if art.link_target is None and not art.sources:
                missing.append(f"{site.parent.name}/{site.name}: {art.path} ({art.template})")
    if missing:
        pytest.fail("artifacts without provenance:\n" + "\n".join(missing))


def test_explain_a_managed_block(tmp_path):
    r = cli("explain", "ns0", "/etc/modprobe.conf", "--site", SITE, "--out", tmp_path / "out")
    assert r.code == 0, r.output
    assert "block      '# BEGIN hagen bonding'" in r.stdout
    assert not (tmp_path / "out").exists()
