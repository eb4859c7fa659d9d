"""One rule, one place (issue 23): each rule that was written several times is decided once,
and every entry point gives the same answer because it asks that one place."""

from __future__ import annotations

import pytest

from example_helpers import Example


# ---------------------------------------------------------------------- node-set size bound
def test_one_node_set_bound_refuses_the_same_set_everywhere():
    from hagen.base.errors import UsageError
    from hagen.base.nodesets import MAX_HOSTS
    from hagen.cli.common import _host_filter
    from hagen.cli.gather import _nodeset
    from hagen.emit.manifest import MANIFEST_FORMAT, valid_manifest
    from hagen.load.limits import DOC

    assert MAX_HOSTS == 1_000_000        # what docs/limits.md documents
    assert any(f"{MAX_HOSTS:,}" in value for _, value, _ in DOC)
    too_many = f"ns[1-{MAX_HOSTS + 1}]"
    with pytest.raises(UsageError) as build_host:              # build/diff --host
        _host_filter(too_many)
    assert build_host.value.reports[0].code == "HA130" and str(MAX_HOSTS) in build_host.value.reports[0].hint
    for option in ("-w", "-x"):                                # gather's and push's -w/-x, counted before expanding
        with pytest.raises(UsageError) as fan_out:
            _nodeset(too_many, option)
        assert fan_out.value.reports[0].code == "HA140" and str(MAX_HOSTS) in fan_out.value.reports[0].message
    manifest = {"format": MANIFEST_FORMAT, "hosts": too_many, "files": []}
    assert valid_manifest(manifest) is None                    # a manifest read back
    assert valid_manifest(dict(manifest, hosts="ns[1-2]")) is not None


# ---------------------------------------------------------------------- host names
def test_every_host_name_check_uses_the_one_label_rule():
    from hagen.base import hostnames
    from hagen.check import hosts, names, services
    from hagen.emit import journal, manifest
    from hagen.load import grammar
    from hagen.model import names as model_names

    assert names.HOSTNAME is hostnames.NODE_NAME is model_names.HOSTNAME
    assert names.ALIAS_NAME is hostnames.ALIAS_NAME is model_names.ALIAS_NAME
    assert services._HOST is hostnames.DNS_NAME
    assert hosts._NAME is hostnames.HOSTS_FILE_NAME
    assert manifest.PLAIN_HOST is journal.PLAIN_HOST is hostnames.PLAIN_HOST
    assert manifest.plain_host is hostnames.is_plain_host
    assert grammar.HOST.pattern == hostnames.PLAIN_PATTERN
    assert grammar.DOMAIN.pattern == hostnames.DOTTED_PATTERN
    assert hostnames.LABEL in grammar.SUFFIX.pattern


@pytest.mark.parametrize("name, node, alias, dns, in_hosts", [
    ("xena1", True, True, True, True),
    ("xenanfs_BK", False, True, False, True),
    ("a" * 63, True, True, True, True),
    ("a" * 64, False, False, False, False),
    ("1abc", False, False, True, True),
    ("ns1\n", False, False, False, False),
    ("mgmt.example.com", False, False, True, True),
    ("-x", False, False, False, False),
])
def test_the_host_name_rules(name, node, alias, dns, in_hosts):
    from hagen.base import hostnames

    assert (bool(hostnames.NODE_NAME.match(name)), bool(hostnames.ALIAS_NAME.match(name)),
            bool(hostnames.DNS_NAME.match(name)), bool(hostnames.HOSTS_FILE_NAME.match(name))) \
        == (node, alias, dns, in_hosts)


def test_a_label_over_63_characters_is_refused_as_ntp_server_and_as_hosts_name(tmp_path):
    """Two checks of the site spec, one label rule: the same 64-character name refused by both."""
    long = "a" * 64 + ".example.com"
    ex = Example(tmp_path, "bas5-guide")
    ex.edit_site(lambda s: (s.setdefault("ntp", {}).update(servers=[long]),
                            s.setdefault("hosts", {}).update(extra=[{"address": "10.1.0.250", "names": [long]}])))
    ex.assert_reports("HA500", "ntp.servers[0]")
    ex.assert_reports("HA814", "hosts.extra[0].names[0]")


# ---------------------------------------------------------------------- DSN
@pytest.mark.parametrize("dsn, has", [
    ("postgresql://admin:s3cret@db.example:5433/clusterdb", True),
    ("postgresql://admin@db.example/clusterdb?password=s3cret", True),
    ("host=db.example dbname=clusterdb password=s3cret user=admin", True),
    ("postgresql://admin@db.example/clusterdb", False),
    ("host=db.example dbname=clusterdb", False),
])
def test_one_dsn_reading_answers_init_the_site_check_and_the_summary_alike(dsn, has):
    from hagen.check.site_values import dsn_password
    from hagen.compile.init import dsn_without_password
    from hagen.load import dsn as one
    from hagen.load.source import Source

    class Site:
        def get(self, *path):
            return dsn if path == ("clusterdb", "dsn") else None

        def where(self, *path):
            from hagen.base.reports import Where
            return Where(key="clusterdb.dsn")

    assert one.has_password(dsn) is has
    assert bool(dsn_password(Site())) is has                       # the site spec's HA152
    stripped, had = dsn_without_password(dsn)                      # hagen init's draft
    assert had is has and "s3cret" not in stripped and not one.has_password(stripped)
    source = Source("db", dsn, one.describe(dsn))                  # messages, summary line, JSON
    assert "s3cret" not in source.summary and "s3cret" not in str(source.to_json()) and "s3cret" not in source.display
    assert one.conninfo(stripped) == {k: v for k, v in one.conninfo(dsn).items() if k != "password"}


def test_a_dsn_libpq_refuses_is_refused_alike():
    from hagen.base.errors import InputRefused
    from hagen.compile.init import dsn_without_password
    from hagen.load import dsn as one

    bad = "host=db port"
    assert one.conninfo(bad) is None and not one.has_password(bad)
    assert "cannot parse" in one.describe(bad) and "cannot parse" in one.shown(bad)
    with pytest.raises(InputRefused) as refused:
        dsn_without_password(bad)
    assert refused.value.reports[0].code == "HA150"


# ---------------------------------------------------------------------- the cell's admin alias
def test_the_cells_admin_alias_is_decided_once(tmp_path):
    """Syslog-ng, the I/O nodes, the quorum heuristic and the batch managers reach the management
    pair by the address Model.admin_alias gives."""
    from hagen.compile.pipeline import load_and_check
    from hagen.model.iocell import management_host
    from hagen.model.mngt import management_pair
    from hagen.model.quorum import default_target

    ex = Example(tmp_path, "bas5-guide")
    model = load_and_check(ex.site)[1]
    pair = management_pair(model)
    alias = model.admin_alias(pair.cell)
    assert alias is not None and str(alias.address) == "10.1.0.65"      # CLARIFICATIONS 13
    assert management_host(model) == alias.name
    admin = model.role_network("admin")
    assert admin.gateway is not None or default_target(model) == str(alias.address)
    assert model.admin_alias(None) is None


# ---------------------------------------------------------------------- schema defaults
def test_an_absent_section_reads_the_schemas_defaults(tmp_path):
    """The schema is the one place of a default: SiteSpec.get gives it even where the whole
    section is absent (apply_defaults only completes the sections the file has)."""
    from hagen.load.site import load_site, schema_default

    ex = Example(tmp_path, "bas5-guide")
    ex.drop_section("quorum")
    ex.drop_section("nfs")
    site = load_site(ex.site)
    assert site.get("quorum", "tko") == schema_default("quorum", "tko") == 10
    assert site.get("nfs", "client_fstab") == "/etc/fstab.d/nfs-ha.fstab"
    assert site.get("nfs", "clients", 3, "options") == "defaults"     # an item's default
    assert site.get("nfs", "nothing", default="given") == "given"
    assert site.get("no_such_section") is None


def test_no_code_repeats_a_schema_default():
    """No site.get(..., default=X) where X is the schema's default for that key: it would be a
    second place to change (and one that drifted: the runbook's /etc/fstab)."""
    import ast
    from pathlib import Path

    import hagen
    from hagen.load.site import schema_default

    repeated = []
    for path in Path(hagen.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" \
                    and node.args and all(isinstance(a, ast.Constant) for a in node.args):
                for kw in node.keywords:
                    if kw.arg != "default":
                        continue
                    try:
                        value = ast.literal_eval(kw.value)
                    except ValueError:
                        continue
                    given = schema_default(*(a.value for a in node.args))
                    if given is not None and given == value:
                        repeated.append(f"{path.name}:{node.lineno}")
    assert not repeated, repeated
