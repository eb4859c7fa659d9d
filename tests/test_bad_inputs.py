"""Bad inputs: one mistake in the site spec or the ClusterDB rows, refused with its code.

Each case copies examples/bas5-guide and makes one mistake. Most are checked in process
through hagen.compile.pipeline.load_and_check (what `hagen check` runs): refused, with the code
and where the mistake is (site.yaml:LINE:COL and the key path, or `clusterdb
TABLE[natural key]`). The rest (one case of each kind of input, those with options,
warnings, and whatever only a build shows) run `hagen build` into a copy of an output
tree that a good build of the unchanged example wrote: exit 2, the report at its place,
never a traceback, and the output tree exactly as it was (files, bytes, modes, mtimes).

Warnings (an alias name with an underscore, a secret file others can read, ...) are
cases too: the build succeeds (exit 0) and prints the warning with its location.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import pytest

from cli_runner import cli, run_hagen
from conftest import EXAMPLES, tree_state
from example_helpers import Example

EXAMPLE = "bas5-guide"

# HAGEN_TEST_SUBPROCESS=1: run every bad build as `python -m hagen` (run_hagen), as the
# good build always is. By default a bad build runs the same command line in this process
# (cli): the same argv parsing, exit status, stdout and stderr, without paying for an
# interpreter's start and imports a hundred times.
SUBPROCESS = os.environ.get("HAGEN_TEST_SUBPROCESS", "") not in ("", "0")


# --------------------------------------------------------------------------- helpers

@dataclass
class Case:
    mutate: Callable[[Example], None]
    code: str
    where: str | None = None         # a location outside the site spec, as printed
    key: str | None = None           # site spec key path, as printed
    anchor: object = None            # text at the reported line:column of the edited site.yaml,
                                     # or (unique text on that line, text at the column)
    severity: str = "error"

    @property
    def exit(self) -> int:
        return 2 if self.severity == "error" else 0


def site_position(text: str, anchor) -> tuple[int, int]:
    """1-based line and column of anchor in text: a unique string, or (unique string, text after it)."""
    line_marker, at = anchor if isinstance(anchor, tuple) else (anchor, None)
    assert text.count(line_marker) == 1, f"anchor {line_marker!r} is not once in site.yaml"
    i = text.index(line_marker)
    j = i if at is None else text.index(at, i)
    start = text.rfind("\n", 0, i) + 1
    assert "\n" not in text[start:j], f"{at!r} is not on the line of {line_marker!r}"
    return text.count("\n", 0, i) + 1, j - start + 1


def expected_location(case: Case, ex: Example) -> str:
    if case.anchor is None:
        return case.where
    line, col = site_position(ex.site_text(), case.anchor)
    loc = f"site.yaml:{line}:{col}"
    return f"{loc} {case.key}" if case.key else loc


def listing(tree: Path) -> dict:
    """What a failed build must not touch beside the files: the out symlink and generations."""
    out = tree / "out"
    store = tree / ".out.d"
    return {"root": sorted(p.name for p in tree.iterdir()),
            "link": os.readlink(out) if out.is_symlink() else None,
            "store": sorted(p.name for p in store.iterdir() if p.name != "lock") if store.is_dir() else []}


# --------------------------------------------------------------------------- the good build

@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """One good build of the unchanged example: the folder holding `out` and `.out.d`."""
    root = tmp_path_factory.mktemp("baseline")
    ex = root / EXAMPLE
    shutil.copytree(EXAMPLES / EXAMPLE, ex)
    (ex / "fence-password").chmod(0o600)
    tree = root / "tree"
    tree.mkdir()
    res = cli("build", "--site", ex / "site.yaml", "--out", tree / "out")
    assert res.code == 0, res.output
    assert tree_state(tree / "out"), "the good build wrote nothing"
    return tree


@pytest.fixture
def built(baseline, tmp_path) -> Path:
    """A copy of the good build's output folder: cp -a keeps the relative out symlink, the hard
    links between .out.d/objects and the generation, modes and mtimes."""
    tree = tmp_path / "tree"
    subprocess.run(["cp", "-a", str(baseline), str(tree)], check=True)
    assert (tree / "out").is_symlink()
    return tree


# --------------------------------------------------------------------------- the cases

def _pap(ex):
    ex.row("hwmanager", name="ns0-bmc")["type"] = "pap"


EL9_UNITS = "  units: {dbmConfig: nagios, hacisco: hacisco, hasystemimager: systemimager-server-rsyncd, hafda: hafda}\n"


def _el9(ex):
    ex.replace("\nclusterdb:\n", "\ntarget: el9-pacemaker\npacemaker:\n" + EL9_UNITS + "\nclusterdb:\n")


def _el9_exports(ex):
    _el9(ex)
    ex.after("  stratum: 10", "\nnfs:\n  exports:\n    - {device: /dev/mapper/x, mount_point: /x, fstype: xfs, fsid: 1}")


def _second_cell(ex, name, type_="nfs"):
    ex.tables["da_iocell"].append({"id": 2, "name": name, "type": type_, "quorum_device": None})


def _no_mngt_cell(ex):
    ex.tables["da_iocell"].clear()
    ex.tables["da_iocell_component"].clear()
    ex.tables["metaservice_port"].clear()


def _quorum(ex, lines):
    """The management pair gets a quorum disk, and the site spec a quorum section of these lines."""
    ex.row("da_iocell", name="ns_mngt")["quorum_device"] = "/dev/sdq1"
    ex.site.write_text(ex.site_text() + "\nquorum:\n" + lines, encoding="utf-8")


def _env_without(name):
    env = dict(os.environ)
    env.pop(name, None)
    return env


def _password_env(ex, value):
    ex.replace("password_file: fence-password", "password_env: HAGEN_TEST_FENCE_PW")
    ex.env = _env_without("HAGEN_TEST_FENCE_PW")
    if value is not None:
        ex.env["HAGEN_TEST_FENCE_PW"] = value


def _dsn_with_password(ex):
    """The site spec names a database with a password in its DSN; --snapshot gives the rows."""
    ex.replace("  snapshot: clusterdb.yaml", "  dsn: postgresql://clusterdb:pw@127.0.0.1:1/clusterdb")
    ex.args = ["--snapshot", str(ex.snapshot)]


def _set(table, match, **values):
    def mutate(ex):
        ex.row(table, **match).update(values)
    return mutate


def _fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


ALIAS_BOMB = "".join(f"{b}: &{b} [{','.join([f'*{a}'] * 9) if a else ','.join(['lol'] * 9)}]\n"
                     for a, b in zip([""] + list("abcdefgh"), "abcdefghi"))
SNAPSHOT_NS1_LINE = next(n for n, line in enumerate((EXAMPLES / EXAMPLE / "clusterdb.yaml").read_text().splitlines(), 1)
                         if "{id: 2, name: ns1, model" in line)


BOND0 = "{name: bond0, network: admin, slaves: [eth0, eth2], primary: eth0}"
BOND1 = "{name: bond1, network: backbone, slaves: [eth1, eth3], primary: eth1}"


def _ns1_ns2_nfs_cell(ex) -> None:
    """ns1 and ns2 made an NFS cell: nodes a network.bonding.bonds[].nodes entry may name."""
    def add(tables):
        tables["da_iocell"].append({"id": 99, "name": "ns_nfs", "type": "nfs", "quorum_device": "/dev/sdz"})
        for name in ("ns1", "ns2"):
            tables["da_iocell_component"].append({"iocell_id": 99, "node_id": ex.id_of("node", name),
                                                  "disk_array_id": None})
    ex.edit_rows(add)

SITE_CASES = [
    # ---- HA100: not YAML
    pytest.param(Case(lambda ex: ex.after("  stratum: 10", "\n\tstratum: 11"), "HA100", anchor="\tstratum: 11"),
                 id="HA100-tab"),
    pytest.param(Case(lambda ex: ex.after("  heartbeat: admin", "\n  heartbeat: backbone"), "HA100",
                      anchor="heartbeat: backbone"), id="HA100-duplicate-key"),
    # ---- HA101: not the schema
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  colour: red"), "HA101",
                      key="management.colour", anchor="colour: red"), id="HA101-unknown-key"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/init.d/nfs\n", "    - {command: /etc/init.d/nfs, stp: x}\n"),
                      "HA101", key="management.services[16].stp", anchor="stp: x"), id="HA101-unknown-key-service"),
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  post_join_delay: soon"), "HA101",
                      key="management.post_join_delay", anchor="post_join_delay: soon"), id="HA101-wrong-type"),
    pytest.param(Case(lambda ex: ex.replace("{device: /dev/sdg,", "{device: 5,"), "HA101",
                      key="management.mnttab[1].device", anchor="device: 5"), id="HA101-wrong-type-mnttab"),
    pytest.param(Case(lambda ex: ex.after("    lanplus: true", "\n    password_env: FENCE_PW"), "HA101",
                      key="management.fencing", anchor="fencing:"), id="HA101-password-file-and-env"),
    pytest.param(Case(lambda ex: ex.replace('  version: "3.2"', '  version: "2.1"'), "HA101",
                      key="syslog_ng.version", anchor='version: "2.1"'), id="HA101-syslog-ng-2"),
    # ---- HA102-HA107: files, secrets, sources, values
    pytest.param(Case(lambda ex: ex.replace("password_file: fence-password", "password_file: no-such-file"), "HA102",
                      key="management.fencing.password_file", anchor="password_file: no-such-file"),
                 id="HA102-no-password-file"),
    pytest.param(Case(lambda ex: (ex.folder / "fence-password").write_text(""), "HA102",
                      key="management.fencing.password_file", anchor="password_file: fence-password"),
                 id="HA102-empty-password-file"),
    pytest.param(Case(lambda ex: ex.replace("snapshot: clusterdb.yaml", "snapshot: no-such-snapshot.yaml"), "HA102",
                      key="clusterdb.snapshot", anchor="snapshot: no-such-snapshot.yaml"), id="HA102-no-snapshot"),
    pytest.param(Case(lambda ex: (ex.folder / "fence-password").chmod(0o644), "HA103", severity="warning",
                      key="management.fencing.password_file", anchor="password_file: fence-password"),
                 id="HA103-password-file-readable"),
    pytest.param(Case(lambda ex: _password_env(ex, None), "HA104",
                      key="management.fencing.password_env", anchor="password_env: HAGEN_TEST_FENCE_PW"),
                 id="HA104-env-unset"),
    pytest.param(Case(_dsn_with_password, "HA152", key="clusterdb.dsn", anchor="dsn: postgresql",
                      severity="warning"), id="HA152-password-in-the-dsn-warning"),
    # no clusterdb key: the report is at the file, which has no such key (its hint names it)
    pytest.param(Case(lambda ex: ex.cut("clusterdb:\n", "management:\n"), "HA105",
                      where="site.yaml"), id="HA105-no-source"),
    pytest.param(Case(lambda ex: ex.args.extend(["--db", "postgresql://nobody@127.0.0.1:1/none",
                                                 "--snapshot", ex.snapshot]),
                      "HA106", where="--db/--snapshot"), id="HA106-db-and-snapshot"),
    pytest.param(Case(lambda ex: ex.args.extend(["--host", "ns1x"]), "HA112", where="--host"),
                 id="HA112-host-of-no-file"),
    pytest.param(Case(lambda ex: ex.args.extend(["--host", "ns[1-100000000]"]), "HA130", where="--host"),
                 id="HA130-host-too-many"),
    pytest.param(Case(lambda ex: ex.replace("admin: [10.0.0.0/8]", "admin: [10.0.0.1/8]"), "HA107",
                      key="network.routes.admin[0]", anchor="10.0.0.1/8"), id="HA107-route-host-bits"),
    pytest.param(Case(lambda ex: ex.replace("options: mode=1 downdelay", "options: mode=1; reboot; downdelay"), "HA107",
                      key="network.bonding.options", anchor="options: mode=1; reboot"), id="HA107-bonding-options"),
    pytest.param(Case(lambda ex: ex.replace("options: mode=1 downdelay=1000 updelay=1000 miimon=1000",
                                            'options: "mode=1 miimon=1000\\nprimary=eth0"'), "HA107",
                      key="network.bonding.options", anchor='options: "mode=1'), id="HA107-bonding-options-two-lines"),
    pytest.param(Case(lambda ex: ex.replace("comment: for managing Cisco switches",
                                            'comment: "for managing Cisco switches\\n/bin/rm -rf /"'), "HA107",
                      key="management.services[8].comment", anchor='comment: "for managing Cisco switches\\n'),
                 id="HA107-comment-two-lines"),
    pytest.param(Case(lambda ex: ex.after("  stratum: 10", "\nhosts:\n  path: /etc/../../../../escaped"), "HA110",
                      key="hosts.path", anchor="path: /etc/../"), id="HA110-hosts-path-dotdot"),
    # ---- HA113-HA119: bounded input (docs/limits.md), format characters; integers are integers
    pytest.param(Case(lambda ex: ex.replace("  stratum: 10\n", "  stratum: 10\x00\n"), "HA100",
                      anchor=("  stratum: 10", "\x00")), id="HA100-nul-byte-at-its-line-column"),
    pytest.param(Case(lambda ex: ex.replace("  stratum: 10\n", "  stratum: 10.0\n"), "HA101",
                      key="ntp.stratum", anchor="stratum: 10.0"), id="HA101-float-for-integer"),
    pytest.param(Case(lambda ex: ex.replace("  stratum: 10\n", "  stratum: 1e1\n"), "HA101",
                      key="ntp.stratum", anchor="stratum: 1e1"), id="HA101-exponent-for-integer"),
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  post_join_delay: 30.0"), "HA101",
                      key="management.post_join_delay", anchor="post_join_delay: 30.0"), id="HA101-float-delay"),
    pytest.param(Case(lambda ex: _fifo(ex.folder / "fence-password"), "HA113",
                      key="management.fencing.password_file", anchor="password_file: fence-password"),
                 id="HA113-password-file-fifo"),
    pytest.param(Case(lambda ex: ex.replace("password_file: fence-password", "password_file: /dev/zero"), "HA113",
                      key="management.fencing.password_file", anchor="password_file: /dev/zero"),
                 id="HA113-password-file-dev-zero"),
    pytest.param(Case(lambda ex: (ex.folder / "fence-password").write_text("x" * 70000), "HA114",
                      key="management.fencing.password_file", anchor="password_file: fence-password"),
                 id="HA114-password-file-too-large"),
    pytest.param(Case(lambda ex: ex.site.write_text(ex.site_text() + ALIAS_BOMB), "HA115",
                      key="e[0]", anchor="e: &e ["), id="HA115-alias-bomb"),
    pytest.param(Case(lambda ex: ex.site.write_text(ex.site_text() + "deep: " + "[" * 40 + "]" * 40 + "\n"), "HA116",
                      anchor=("deep: [", "[" * 16 + "]")), id="HA116-deep-nesting"),
    pytest.param(Case(lambda ex: ex.replace("  stratum: 10\n", "  stratum: 1" + "0" * 5000 + "\n"), "HA117",
                      anchor=("  stratum: 1000", "1000")), id="HA117-5000-digit-integer"),
    pytest.param(Case(lambda ex: ex.replace("  stratum: 10\n", "  stratum: 100000000000000000000\n"), "HA117",
                      key="ntp.stratum", anchor="stratum: 1000"), id="HA117-integer-beyond-bigint"),
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  comment: " + "x" * 5000), "HA118",
                      key="management.comment", anchor="comment: xxx"), id="HA118-long-string"),
    pytest.param(Case(lambda ex: ex.replace("  stratum: 10\n", "  stratum: 10   # \u202e01 :mutarts\n"), "HA119",
                      anchor=("  stratum: 10   #", "\u202e")), id="HA119-bidi-in-a-comment"),
    pytest.param(Case(lambda ex: ex.replace("cluster_name: ns_mngt", "cluster_name: ns_\u200bmngt"), "HA119",
                      anchor=("cluster_name: ns_", "\u200b")), id="HA119-zero-width-in-a-value"),
    pytest.param(Case(lambda ex: ex.replace("    - /var/lib/pgsql\n", "    - /var/l\u0456b/pgsql\n"), "HA120",
                      key="management.links[12]", anchor=("    - /var/l\u0456b", "/var")), id="HA120-path-look-alike"),
    pytest.param(Case(lambda ex: ex.replace("    login: root", "    login: 'root;id'"), "HA121",
                      key="management.fencing.login", anchor="login: 'root"), id="HA121-fencing-login-shell"),
    pytest.param(Case(lambda ex: ex.replace("  cron: []", '  cron: [".."]'), "HA318",
                      key="management.cron[0]", anchor='".."'), id="HA318-cron-dotdot"),
    pytest.param(Case(lambda ex: ex.site.write_text(ex.site_text() + "lustre:\n  sudoers: /etc/sudoers.d/$(reboot)\n"),
                      "HA615", key="lustre.sudoers", anchor="sudoers: /etc"), id="HA615-sudoers-shell"),
    # ---- HA3xx: the management pair, from the site spec
    pytest.param(Case(lambda ex: ex.replace("cluster_name: ns_mngt", "cluster_name: ns_mngt_abcdefgh"), "HA305",
                      key="management.cluster_name", anchor="cluster_name: ns_mngt_abcdefgh"),
                 id="HA305-cluster-name-16-chars"),
    pytest.param(Case(lambda ex: ex.replace("cluster_name: ns_mngt", "cluster_name: ns.mngt"), "HA305",
                      key="management.cluster_name", anchor="cluster_name: ns.mngt"), id="HA305-cluster-name-dot"),
    pytest.param(Case(lambda ex: (_second_cell(ex, "nfs1"), ex.replace("cluster_name: ns_mngt", "cluster_name: nfs1")),
                      "HA306", key="management.cluster_name", anchor="cluster_name: nfs1"),
                 id="HA306-duplicate-cman-name"),
    pytest.param(Case(_pap, "HA308", key="management.fencing", anchor="fencing:"), id="HA308-pap-no-domain"),
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  status: [/etc/HA/bin/hastatus]"), "HA309",
                      key="management.status", anchor="status: [/etc"), id="HA309-status-not-empty"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/init.d/nfs\n", "    - /etc/init.d/nfs restart\n"), "HA310",
                      key="management.services[16]", anchor="/etc/init.d/nfs restart"), id="HA310-start-options"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/init.d/nfs\n", "    - {command: /etc/init.d/nfs, stop: nfs}\n"),
                      "HA310", key="management.services[16].stop", anchor="stop: nfs"), id="HA310-stop-relative"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/init.d/nfs\n", '    - "/etc/init.d/nfs\\n"\n'), "HA310",
                      key="management.services[16]", anchor='"/etc/init.d/nfs'), id="HA310-start-newline"),
    pytest.param(Case(lambda ex: ex.after("    - /etc/HA/bin/hacron", "\n    - /etc/init.d/gmond   # again"), "HA311",
                      key="management.services[23]", anchor="/etc/init.d/gmond   # again"), id="HA311-started-twice"),
    pytest.param(Case(lambda ex: ex.replace("{device: /dev/sdg,", "{device: sdg,"), "HA312",
                      key="management.mnttab[1].device", anchor="device: sdg"), id="HA312-device-not-dev"),
    pytest.param(Case(lambda ex: ex.replace("{device: /dev/sdg,", "{device: /dev/sd g,"), "HA312",
                      key="management.mnttab[1].device", anchor="device: /dev/sd g"), id="HA312-device-blank"),
    pytest.param(Case(lambda ex: ex.replace("mount_point: /usrha}", "mount_point: /etcha}"), "HA313",
                      key="management.mnttab[1].mount_point", anchor=("/dev/sdg, mount_point", "mount_point")),
                 id="HA313-mount-point-twice"),
    pytest.param(Case(lambda ex: ex.replace("mount_point: /usrha}", "mount_point: usrha}"), "HA313",
                      key="management.mnttab[1].mount_point", anchor="mount_point: usrha"),
                 id="HA313-mount-point-relative"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/snmp\n", "    - etc/snmp\n"), "HA314",
                      key="management.links[3]", anchor=("- etc/snmp", "etc")), id="HA314-links-relative"),
    pytest.param(Case(lambda ex: ex.replace("    - /var/lib/pgsql\n", "    - /var/lib/pgsql/\n"), "HA314",
                      key="management.links[12]", anchor="/var/lib/pgsql/\n"), id="HA314-links-trailing-slash"),
    pytest.param(Case(lambda ex: ex.after("{device: /dev/sdi, mount_point: /homeha}",
                                          "\n    - {device: /dev/sdj, mount_point: /var/lib/pgsql}"), "HA315",
                      key="management.links[12]", anchor=("    - /var/lib/pgsql\n", "/var")),
                 id="HA315-link-is-mount-point"),
    pytest.param(Case(lambda ex: ex.after("    - /usr/share/lsf", "\n    - /opt/tools"), "HA316", severity="warning",
                      key="management.links[23]", anchor="/opt/tools"), id="HA316-link-not-on-shared-fs"),
    pytest.param(Case(lambda ex: ex.replace("    - /var/lib/pgsql/data/postmaster.pid", "    - postmaster.pid"), "HA317",
                      key="management.pid2clean[0]", anchor="postmaster.pid"), id="HA317-pid2clean-relative"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/sudoers\n", "    - /etc/sudoers.d/\n"), "HA317",
                      key="management.synchro[27]", anchor="/etc/sudoers.d/"), id="HA317-synchro-directory"),
    pytest.param(Case(lambda ex: ex.replace("  cron: []", "  cron: [backup/clusterdb]"), "HA318",
                      key="management.cron[0]", anchor="backup/clusterdb"), id="HA318-cron-slash"),
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  stop: [/etc/init.d/nfs, /etc/init.d/named]"), "HA319",
                      severity="warning", key="management.stop[1]", anchor="/etc/init.d/named"),
                 id="HA319-stop-not-started"),
    pytest.param(Case(lambda ex: ex.replace("service_name: HA_NSM", "service_name: HA NSM"), "HA321",
                      key="management.service_name", anchor="service_name: HA NSM"), id="HA321-service-name-blank"),
    pytest.param(Case(lambda ex: _quorum(ex, "  token: 10000\n"), "HA322", key="quorum.token", anchor="token: 10000"),
                 id="HA322-token-too-short"),
    pytest.param(Case(lambda ex: _quorum(ex, "  heuristic: {interval: 3, tko: 2}\n"), "HA323",
                      key="quorum.heuristic.interval", anchor=("heuristic: {", "interval: 3")),
                 id="HA323-heuristic-slower-than-qdiskd"),
    pytest.param(Case(lambda ex: _quorum(ex, "  heuristic: {tko: 11}\n"), "HA324",
                      key="quorum.heuristic.tko", anchor="tko: 11"), id="HA324-heuristic-fails-too-late"),
    pytest.param(Case(lambda ex: _quorum(ex, "  heuristic: {target: \"ns; reboot\"}\n"), "HA325",
                      key="quorum.heuristic.target", anchor="target:"), id="HA325-heuristic-target-not-a-host"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/HA/bin/hapidcleaner\n", ""), "HA326",
                      key="management.pid2clean", anchor=("  pid2clean:", "pid2clean")),
                 id="HA326-pid2clean-without-hapidcleaner"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/HA/bin/halinks\n    - /etc/HA/bin/hapidcleaner\n"
                                            "    - /etc/init.d/postgresql\n",
                                            "    - /etc/init.d/postgresql\n    - /etc/HA/bin/halinks\n"
                                            "    - /etc/HA/bin/hapidcleaner\n"), "HA327",
                      key="management.services[2]", anchor="/etc/init.d/postgresql"),
                 id="HA327-postgresql-before-halinks"),
    pytest.param(Case(lambda ex: ex.after("  cron: []", "\n  order_overrides:\n    - {first: /etc/HA/bin/halinks, "
                                                        "then: /etc/init.d/nfs, reason: in case}"),
                      "HA328", severity="warning", key="management.order_overrides[0]",
                      anchor=("{first: /etc/HA/bin/halinks", "{first")), id="HA328-override-waives-nothing"),
    pytest.param(Case(lambda ex: ex.replace("    - /etc/resolv.conf\n", "    - /etc/resolv.conf\n    - /etc/ntp.conf\n"),
                      "HA329", key="management.synchro[17]", anchor="/etc/ntp.conf"), id="HA329-synchro-ntp-conf"),
    pytest.param(Case(lambda ex: ex.replace("{device: /dev/sdi, mount_point: /homeha}",
                                            "{device: /dev/sdi, mount_point: /var/lib/pgsql/data}"), "HA332",
                      key="management.mnttab[4].mount_point", anchor=("/dev/sdi, mount_point", "mount_point")),
                 id="HA332-mount-point-in-a-moved-directory"),
    pytest.param(Case(lambda ex: ex.replace("{device: /dev/sdi, mount_point: /homeha}",
                                            "{device: /dev/sdf, mount_point: /homeha}"), "HA333",
                      key="management.mnttab[0].device", anchor=("{device: /dev/sdf, mount_point: /etcha", "device")),
                 id="HA333-two-mnttab-entries-on-one-lun"),
    # ---- HA4xx: networks, from the site spec
    pytest.param(Case(lambda ex: ex.replace("{name: bond0, network: admin,", "{name: bond0, network: adminx,"), "HA400",
                      key="network.bonding.bonds[0].network", anchor="network: adminx"), id="HA400-bond-network-unknown"),
    pytest.param(Case(lambda ex: ex.after("    admin: [10.0.0.0/8]", "\n    ib: [10.0.0.0/8]"), "HA400",
                      key="network.routes.ib", anchor="ib: ["), id="HA400-routes-network-unknown"),
    pytest.param(Case(lambda ex: ex.replace("slaves: [eth0, eth2], primary: eth0", "slaves: [eth2, eth4], primary: eth2"),
                      "HA406", key="network.bonding.bonds[0].slaves", anchor=("{name: bond0", "slaves:")),
                 id="HA406-slaves-miss-interface"),
    pytest.param(Case(lambda ex: ex.replace("slaves: [eth1, eth3]", "slaves: [eth1, eth2]"), "HA407",
                      key="network.bonding.bonds[1].slaves[1]", anchor=("{name: bond1", "eth2")),
                 id="HA407-slave-of-two-bonds"),
    pytest.param(Case(lambda ex: (ex.replace("      - " + BOND1 + "\n", ""),
                                  ex.replace("slaves: [eth0, eth2]", "slaves: [eth0, eth1]")), "HA408",
                      key="network.bonding.bonds[0].slaves", anchor=("{name: bond0", "slaves:")),
                 id="HA408-slave-has-address"),
    pytest.param(Case(lambda ex: ex.after(BOND1, "\n      - {name: bond7, network: admin, slaves: [eth0, eth6], "
                                                  "nodes: [ns1]}"), "HA160",
                      key="network.bonding.bonds[2].nodes[0]", anchor=("{name: bond7", "ns1")),
                 id="HA160-bond-for-a-compute-node"),
    pytest.param(Case(lambda ex: (_ns1_ns2_nfs_cell(ex), ex.after(BOND1, "\n      - {name: bond7, network: admin, "
                                                                  "slaves: [eth5, eth6], nodes: [ns1]}")), "HA161",
                      key="network.bonding.bonds[2].nodes[0]", anchor=("{name: bond7", "ns1")),
                 id="HA161-address-not-on-a-slave"),
    pytest.param(Case(lambda ex: (_ns1_ns2_nfs_cell(ex), ex.after(BOND1, "\n      - {name: bond7, network: admin, "
                                                                  "slaves: [eth0, eth6], nodes: [ns1]}\n"
                                                                  "      - {name: bond8, network: admin, "
                                                                  "slaves: [eth0, eth7], nodes: [ns1]}")), "HA162",
                      key="network.bonding.bonds[3].nodes[0]", anchor=("{name: bond8", "ns1")),
                 id="HA162-two-bonds-of-one-node-share-a-network"),
    pytest.param(Case(lambda ex: ex.replace("primary: eth0}", "primary: eth5}"), "HA409",
                      key="network.bonding.bonds[0].primary", anchor="primary: eth5"), id="HA409-primary-not-slave"),
    pytest.param(Case(lambda ex: ex.replace("  routes:\n", "  default_route: backbone\n  routes:\n"), "HA415",
                      key="network.default_route", anchor="default_route: backbone"),
                 id="HA415-default-route-without-gateway"),
    pytest.param(Case(lambda ex: (ex.replace("    admin: [10.0.0.0/8]", "    admin: [0.0.0.0/0]\n    backbone: [0.0.0.0/0]"),
                                  ex.row("network", name="backbone").update(gateway="176.18.118.254")), "HA416",
                      key="network.routes", anchor="routes:"), id="HA416-two-default-routes"),
    pytest.param(Case(lambda ex: ex.after("    admin: [10.0.0.0/8]", "\n    backbone: [10.0.0.0/8]"), "HA410",
                      key="network.routes.backbone", anchor="backbone: [10"), id="HA410-routes-no-gateway"),
    pytest.param(Case(lambda ex: ex.replace("{name: bond0,", "{name: bond 0,"), "HA411",
                      key="network.bonding.bonds[0].name", anchor="name: bond 0"), id="HA411-bond-name-blank"),
    pytest.param(Case(lambda ex: ex.replace("slaves: [eth0, eth2]", "slaves: [eth0, 'eth2:1']"), "HA411",
                      key="network.bonding.bonds[0].slaves[1]", anchor="'eth2:1'"), id="HA411-slave-colon"),
    pytest.param(Case(lambda ex: ex.replace("{name: bond1, network: backbone,", "{name: bond0, network: backbone,"),
                      "HA407", key="network.bonding.bonds[1].name", anchor=("{name: bond0, network: backbone", "name")),
                 id="HA407-two-bonds-one-name"),
    pytest.param(Case(lambda ex: ex.replace(BOND1, "{name: bond1, network: admin, slaves: [eth4], primary: eth4}"),
                      "HA407", key="network.bonding.bonds[1].network", anchor=("{name: bond1, network: admin", "network: admin")),
                 id="HA407-two-bonds-one-network"),
    # ---- HA500: NTP
    pytest.param(Case(lambda ex: ex.replace("serve: [10.0.0.0/8]", "serve: [10.0.0.1/8]"), "HA500",
                      key="ntp.serve[0]", anchor="10.0.0.1/8"), id="HA500-serve-host-bits"),
    pytest.param(Case(lambda ex: ex.replace("serve: [10.0.0.0/8]", "serve: [10.1.0.0/16, 10.0.0.0]"), "HA500",
                      key="ntp.serve[1]", anchor="10.0.0.0]"), id="HA500-serve-no-prefix"),
    pytest.param(Case(lambda ex: ex.after("  local_clock: true", "\n  servers: [ntp.example.com, 'ntp1 ntp2']"), "HA500",
                      key="ntp.servers[1]", anchor="'ntp1 ntp2'"), id="HA500-server-blank"),
    pytest.param(Case(lambda ex: ex.after("  local_clock: true", "\n  servers: [10.1.0.300]"), "HA500",
                      key="ntp.servers[0]", anchor="10.1.0.300"), id="HA500-server-bad-address"),
    # ---- HA170-HA175: keys that mean nothing for the site's target (warnings), PAP on el9
    pytest.param(Case(lambda ex: ex.replace("\nclusterdb:\n", "\npacemaker: {filesystem_type: xfs}\n\nclusterdb:\n"),
                      "HA170", key="pacemaker", anchor="pacemaker:", severity="warning"), id="HA170-pacemaker-for-cman"),
    pytest.param(Case(_el9, "HA171", key="management.pid2clean", anchor="pid2clean:", severity="warning"),
                 id="HA171-runtime-list-for-el9"),
    pytest.param(Case(_el9, "HA172", key="network.bonding.modprobe", anchor="modprobe: modprobe.conf",
                      severity="warning"), id="HA172-modprobe-for-el9"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.after("  cron: []", "\n  post_join_delay: 20")), "HA173",
                      key="management.post_join_delay", anchor="post_join_delay: 20", severity="warning"),
                 id="HA173-cman-setting-for-el9"),
    pytest.param(Case(_el9, "HA174", key="management.services[0]", anchor="/etc/HA/bin/haunwantedfiles",
                      severity="warning"), id="HA174-no-pacemaker-equivalent"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.replace("hacisco: hacisco, ", "")), "HA177",
                      key="management.services[8]", anchor=("command: /etc/HA/bin/hacisco", "command")),
                 id="HA177-no-el9-unit"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.after("  manager: pbs", "\n  ocfs2: {device: /dev/mapper/o, "
                                                               "mount_point: /ocfs}")), "HA178",
                      key="batch.ocfs2", anchor="ocfs2:"), id="HA178-ocfs2-on-el9"),
    pytest.param(Case(_el9, "HA179", key="management.mnttab[0].device", anchor=("{device: /dev/sdf", "device"),
                      severity="warning"), id="HA179-kernel-name-on-el9"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.after(EL9_UNITS.rstrip("\n"), "\n  node_fence_delays: {ns5: 2s}")),
                      "HA180", key="pacemaker.node_fence_delays.ns5", anchor="ns5: 2s"), id="HA180-delay-no-cell-node"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.after(EL9_UNITS.rstrip("\n"), "\n  node_fence_delays: {ns13: 9s}")),
                      "HA182", key="pacemaker.node_fence_delays.ns13", anchor="ns13: 9s", severity="warning"),
                 id="HA182-delay-outruns-priority"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.after(EL9_UNITS.rstrip("\n"),
                                                     "\n  second_level: {ns_mngt: {sbd_device: /dev/sdg}}")),
                      "HA184", key="pacemaker.second_level.ns_mngt.sbd_device", anchor=("sbd_device: /dev/sdg", "sbd_device")),
                 id="HA184-sbd-on-a-mnttab-lun"),
    pytest.param(Case(lambda ex: (_el9(ex), ex.replace("hafda: hafda}", "hafda: hafda, hacsico: x}")), "HA185",
                      key="pacemaker.units.hacsico", anchor=("hacsico: x", "hacsico"), severity="warning"),
                 id="HA185-unit-for-no-command"),
    pytest.param(Case(_el9_exports, "HA181", key="nfs.exports", anchor="exports:"), id="HA181-nfs-state-exported"),
    pytest.param(Case(lambda ex: (ex.folder / "fence-password").write_text("a-password-of-21-byte\n"), "HA183",
                      key="management.fencing.password_file", anchor="password_file:"), id="HA183-lanplus-too-long"),
    pytest.param(Case(lambda ex: (_el9(ex), _pap(ex)), "HA175", where="clusterdb hwmanager[name=ns0-bmc]"),
                 id="HA175-pap-on-el9"),
]

DB_CASES = [
    pytest.param(Case(_set("node", {"name": "ns5"}, name="localhost"), "HA122",
                      where="clusterdb node_port[node=localhost, network=admin]"), id="HA122-node-named-localhost"),
    # ---- HA200-HA204: rows that are not rows
    pytest.param(Case(lambda ex: ex.snapshot.write_text("format: hagen-clusterdb-snapshot/0\ntables: {}\n"), "HA200",
                      where="clusterdb.yaml"), id="HA200-not-a-snapshot"),
    pytest.param(Case(lambda ex: ex.snapshot.write_text("format: hagen-clusterdb-snapshot/1\ntables:\n  node: [\n"),
                      "HA200", where="clusterdb.yaml:4:1"), id="HA200-snapshot-not-yaml"),
    pytest.param(Case(_set("node", {"name": "ns1"}, colour="red"), "HA201", where="clusterdb node[name=ns1]"),
                 id="HA201-unknown-column"),
    pytest.param(Case(lambda ex: ex.row("node", name="ns1").update({7: "seven"}), "HA201",
                      where="clusterdb node[name=ns1]"), id="HA201-unknown-column-number"),
    pytest.param(Case(_set("node_port", {"id": 3}, node_id="two"), "HA201", where="clusterdb node_port[id=3]"),
                 id="HA201-wrong-type"),
    pytest.param(Case(_set("node", {"name": "ns1"}, name="ns0"), "HA202", where="clusterdb node[name=ns0]"),
                 id="HA202-duplicate-node-name"),
    pytest.param(Case(lambda ex: ex.tables["cluster"].append({**ex.tables["cluster"][0], "id": 2, "name": "nt"}),
                      "HA203", where="clusterdb cluster"), id="HA203-two-cluster-rows"),
    pytest.param(Case(_set("node_port", {"id": 16}, node_id=99), "HA204", where="clusterdb node_port[id=16]"),
                 id="HA204-dangling-node"),
    pytest.param(Case(_set("node", {"name": "ns13"}, hwmanager_id=42), "HA204", where="clusterdb node[name=ns13]"),
                 id="HA204-dangling-hwmanager"),
    # ---- HA205-HA212: addresses and names
    pytest.param(Case(_set("node_port", {"id": 3}, ipaddr="10.1.1.300"), "HA205",
                      where="clusterdb node_port[node=ns1, interface=eth0]"), id="HA205-bad-address"),
    pytest.param(Case(_set("network", {"name": "bmc"}, subnet="10.2.0.1/16"), "HA205",
                      where="clusterdb network[name=bmc]"), id="HA205-subnet-host-bits"),
    pytest.param(Case(_set("network", {"name": "admin"}, gateway="10.1.255.254.1"), "HA205",
                      where="clusterdb network[name=admin]"), id="HA205-bad-gateway"),
    pytest.param(Case(_set("node_port", {"id": 1}, ipaddr="10.1.0.1/24"), "HA206",
                      where="clusterdb node_port[node=ns0, interface=eth0]"), id="HA206-port-prefix"),
    pytest.param(Case(_set("metaservice_port", {"name": "ns"}, ipaddr="10.1.0.65/24"), "HA206",
                      where="clusterdb metaservice_port[name=ns]"), id="HA206-alias-prefix"),
    pytest.param(Case(_set("node_port", {"id": 3}, ipaddr="10.9.1.1"), "HA207",
                      where="clusterdb node_port[node=ns1, interface=eth0]"), id="HA207-outside-subnet"),
    pytest.param(Case(_set("hwmanager_port", {"id": 5}, ipaddr="10.1.0.5"), "HA207",
                      where="clusterdb hwmanager_port[hwmanager=ns4-bmc]"), id="HA207-bmc-outside-subnet"),
    pytest.param(Case(_set("node_port", {"id": 4}, ipaddr="10.1.1.1"), "HA208",
                      where="clusterdb node_port[node=ns2, interface=eth0]"), id="HA208-duplicate-address"),
    pytest.param(Case(_set("node", {"name": "ns1"}, name="9ns"), "HA209", where="clusterdb node[name=9ns]"),
                 id="HA209-name-starts-with-digit"),
    pytest.param(Case(_set("node", {"name": "ns1"}, name="ns_1"), "HA209", where="clusterdb node[name=ns_1]"),
                 id="HA209-name-underscore"),
    pytest.param(Case(_set("node", {"name": "ns1"}, name="ns1\n"), "HA209", where="clusterdb node[name='ns1\\n']"),
                 id="HA209-name-newline"),
    pytest.param(Case(_set("metaservice_port", {"name": "ns"}, name="ns_adm"), "HA240", severity="warning",
                      where="clusterdb metaservice_port[name=ns_adm]"), id="HA240-alias-underscore-warning"),
    pytest.param(Case(lambda ex: ex.tables["node_ftype"].append({"node_id": 2, "ftype_id": 3}), "HA218",
                      severity="warning", where="clusterdb node_ftype[node=ns1]"),
                 id="HA218-mngt-node-outside-the-pair-warning"),
    pytest.param(Case(_set("metaservice_port", {"name": "ns"}, name="ns adm"), "HA210",
                      where="clusterdb metaservice_port[name='ns adm']"), id="HA210-alias-blank"),
    pytest.param(Case(lambda ex: ex.drop("metaservice_port", name="ns"), "HA330",
                      where="clusterdb da_iocell[name=ns_mngt]"), id="HA330-no-admin-alias"),
    pytest.param(Case(lambda ex: ex.drop("metaservice_port", name="ns-bk"), "HA331",
                      where="clusterdb da_iocell[name=ns_mngt]"), id="HA331-no-backbone-alias"),
    pytest.param(Case(_set("node_port", {"id": 3}, interface_name="eth 0"), "HA211",
                      where="clusterdb node_port[node=ns1, interface='eth 0']"), id="HA211-interface-blank"),
    pytest.param(Case(_set("node_port", {"id": 3}, interface_name="ethernet-port-00"), "HA211",
                      where="clusterdb node_port[node=ns1, interface='ethernet-port-00']"), id="HA211-interface-too-long"),
    pytest.param(Case(_set("da_iocell", {"name": "ns_mngt"}, quorum_device="/dev/sd q"), "HA216",
                      where="clusterdb da_iocell[name=ns_mngt]"), id="HA216-quorum-device-blank"),
    pytest.param(Case(_set("da_iocell", {"name": "ns_mngt"}, quorum_device="sdq"), "HA216",
                      where="clusterdb da_iocell[name=ns_mngt]"), id="HA216-quorum-device-not-dev"),
    pytest.param(Case(_set("hwmanager", {"name": "ns5-bmc"}, name="ns5 bmc"), "HA212",
                      where="clusterdb hwmanager[name='ns5 bmc']"), id="HA212-controller-name-blank"),
    # ---- HA213-HA217: every string against its column's grammar (hagen.load.grammar), duplicate keys
    pytest.param(Case(_set("network", {"name": "backbone"}, suffix="bk\n6.6.6.6 ns"), "HA213",
                      where="clusterdb network[name=backbone]"), id="HA213-suffix-injects-a-hosts-line"),
    pytest.param(Case(_set("network", {"name": "backbone"}, suffix="bk ns"), "HA213",
                      where="clusterdb network[name=backbone]"), id="HA213-suffix-blank-adds-names"),
    pytest.param(Case(_set("cluster", {"name": "ns"}, dns_domain="cluster;reboot"), "HA214",
                      where="clusterdb cluster[name=ns]"), id="HA214-dns-domain-shell"),
    pytest.param(Case(_set("node", {"name": "ns1"}, model="R422<x/>"), "HA215",
                      where="clusterdb node[name=ns1]"), id="HA215-model-markup"),
    pytest.param(Case(_set("node", {"name": "ns1"}, name="ns\u202e1"), "HA209",
                      where="clusterdb node[name='ns\\u202e1']"), id="HA209-name-bidi"),
    pytest.param(Case(_set("node", {"name": "ns1"}, name="ns\u0440"), "HA209",
                      where="clusterdb node[name='nsр']"), id="HA209-name-cyrillic-look-alike"),
    pytest.param(Case(_set("node_port", {"id": 3}, interface_name="eth0\u200b"), "HA211",
                      where="clusterdb node_port[node=ns1, interface='eth0\\u200b']"), id="HA211-interface-zero-width"),
    pytest.param(Case(lambda ex: ex.snapshot.write_text(ex.snapshot.read_text().replace(
                          "{id: 2, name: ns1, model", "{id: 2, name: ns1, name: ns0, model")), "HA217",
                      where=f"clusterdb.yaml:{SNAPSHOT_NS1_LINE}:24 name"), id="HA217-duplicate-key-in-a-row"),
    # ---- HA3xx: the management pair
    pytest.param(Case(_set("cluster", {"name": "ns"}, actif_ha=False), "HA300", where="clusterdb cluster[name=ns]"),
                 id="HA300-actif-ha-false"),
    pytest.param(Case(_no_mngt_cell, "HA300", where="clusterdb cluster[name=ns]"), id="HA300-no-mngt-cell"),
    pytest.param(Case(lambda ex: _second_cell(ex, "ns_mngt2", "mngt"), "HA301", where="clusterdb da_iocell[name=ns_mngt2]"),
                 id="HA301-two-mngt-cells"),
    pytest.param(Case(lambda ex: ex.drop("da_iocell_component", iocell_id=1, node_id=14), "HA302",
                      where="clusterdb da_iocell_component[iocell=ns_mngt]"), id="HA302-one-node"),
    pytest.param(Case(lambda ex: ex.tables["da_iocell_component"].append(
                          {"iocell_id": 1, "node_id": 2, "disk_array_id": None}), "HA302",
                      where="clusterdb da_iocell_component[iocell=ns_mngt]"), id="HA302-three-nodes"),
    pytest.param(Case(_set("node", {"name": "ns13"}, hwmanager_id=None), "HA303", where="clusterdb node[name=ns13]"),
                 id="HA303-no-controller"),
    pytest.param(Case(lambda ex: ex.drop("hwmanager_port", hwmanager_id=14), "HA303",
                      where="clusterdb hwmanager[name=ns13-bmc]"), id="HA303-controller-no-address"),
    pytest.param(Case(_set("node", {"name": "ns0"}, status="unmanaged"), "HA304", where="clusterdb node[name=ns0]"),
                 id="HA304-not-managed"),
    pytest.param(Case(lambda ex: (ex.replace("heartbeat: admin", "heartbeat: backbone"),
                                  ex.drop("node_port", node_id=14, network_id=2)), "HA307",
                      where="clusterdb node[name=ns13]"), id="HA307-heartbeat-backbone-no-port"),
    pytest.param(Case(lambda ex: (ex.replace("heartbeat: admin", "heartbeat: backbone"),
                                  ex.row("network", name="admin").update(function="ic")), "HA307",
                      where="clusterdb network"), id="HA307-no-admin-network"),
    pytest.param(Case(lambda ex: (ex.replace("heartbeat: admin", "heartbeat: backbone"),
                                  ex.drop("node_port", node_id=14, network_id=1), ex.drop("metaservice_port", name="ns"),
                                  ex.replace("      - " + BOND0 + "\n", "")), "HA307",
                      where="clusterdb node[name=ns13]"), id="HA307-no-admin-port"),
    pytest.param(Case(lambda ex: ex.cut("management:\n", "network:\n"), "HA320",
                      where="clusterdb da_iocell[name=ns_mngt]"), id="HA320-no-management-section"),
    pytest.param(Case(lambda ex: (_no_mngt_cell(ex), ex.row("cluster", name="ns").update(actif_ha=False),
                                  ex.drop_section("batch")), "HA350",
                      severity="warning", key="management", anchor="management:\n"), id="HA350-no-mngt-cell-warning"),
    # ---- HA4xx: aliases
    pytest.param(Case(_set("metaservice_port", {"name": "ns"}, ipaddr="10.9.0.65/16"), "HA401",
                      where="clusterdb metaservice_port[name=ns]"), id="HA401-alias-outside-subnet"),
    pytest.param(Case(_set("metaservice_port", {"name": "ns"}, ipaddr="10.1.0.13/16"), "HA402",
                      where="clusterdb metaservice_port[name=ns]"), id="HA402-alias-is-node-address"),
    pytest.param(Case(lambda ex: ex.tables["metaservice_port"].append(
                          {"id": 3, "name": "ns-adm", "type": "alias", "network_id": 1, "ipaddr": "10.1.0.65", "iocell_id": 1}),
                      "HA403", where="clusterdb metaservice_port[name=ns-adm]"), id="HA403-two-aliases-one-address"),
    pytest.param(Case(_set("cluster", {"name": "ns"}, node_backbone_ipaddr="176.18.118.66"), "HA404",
                      where="clusterdb cluster[name=ns]"), id="HA404-backbone-vip"),
    pytest.param(Case(lambda ex: ex.drop("node_port", node_id=14, network_id=2), "HA405",
                      where="clusterdb metaservice_port[name=ns-bk]"), id="HA405-no-port-for-alias"),
    pytest.param(Case(lambda ex: (ex.replace("      - " + BOND1 + "\n", ""),
                                  ex.row("node_port", node_id=14, network_id=2).update(interface_name="eth3")), "HA405",
                      where="clusterdb node_port[node=ns13, interface=eth3]"), id="HA405-alias-interface-differs"),
    pytest.param(Case(lambda ex: (ex.replace("    bonds:\n      - " + BOND0 + "\n      - " + BOND1 + "\n", "    bonds: []\n"),
                                  ex.row("node_port", node_id=1, network_id=2).update(interface_name="eth0"),
                                  ex.row("node_port", node_id=14, network_id=2).update(interface_name="eth0")), "HA412",
                      where="clusterdb node_port[node=ns0, interface=eth0]"), id="HA412-two-networks-one-interface"),
    pytest.param(Case(_set("network", {"name": "bmc"}, subnet="10.0.0.0/8"), "HA413",
                      where="clusterdb network[name=admin]"), id="HA413-overlapping-subnets"),
    pytest.param(Case(_set("hwmanager_port", {"id": 5}, ipaddr="10.2.0.6"), "HA414",
                      where="clusterdb hwmanager_port[hwmanager=ns5-bmc]"), id="HA414-two-controllers-one-address"),
    pytest.param(Case(lambda ex: ex.tables["node_port"].append({"id": 99, "node_id": 3, "network_id": 3,
                                                                "interface_name": "eth3", "ipaddr": "10.2.0.6",
                                                                "hwaddr": None}), "HA414",
                      where="clusterdb hwmanager_port[hwmanager=ns5-bmc]"), id="HA414-controller-is-a-node-address"),
]


def run_case(case: Case, ex: Example, tree: Path, real: bool = SUBPROCESS):
    """`hagen build` of the mistaken example into a copy of a good build: exit status, the
    report at its place, and the tree as it was."""
    if case.mutate is not None:
        case.mutate(ex)
    ex.flush()
    out = tree / "out"
    before, shape = tree_state(out), listing(tree)
    assert before, "no good build to compare with"
    env = dict(os.environ if ex.env is None else ex.env, HAGEN_DEBUG="1")   # a hagen bug shows its traceback
    if real:
        res = run_hagen("build", "--site", ex.site, "--out", out, *ex.args, env=env)
    else:           # the same environment, as changes for the call: what it lacks is unset
        res = cli("build", "--site", ex.site, "--out", out, *ex.args,
                  env={**{k: None for k in os.environ if k not in env}, **env})
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    assert res.code == case.exit, f"exit {res.code}, not {case.exit}:\n{res.output}"
    location = expected_location(case, ex)
    wanted = f"{location}: {case.severity} {case.code}:"
    assert wanted in res.stderr, f"expected {wanted!r} in:\n{res.stderr}"
    if case.severity == "error":
        assert tree_state(out) == before, "a refused build changed the output tree"
        assert listing(tree) == shape, "a refused build left something beside the output tree"
    return res


def checked(case: Case, ex: Example) -> bool:
    """The mistake through load_and_check, in process (what `hagen check` runs): True when its
    report is there, at its place, with its severity; False when only a build shows it (a
    rendered file refused), for run_case to see."""
    from unittest import mock

    from hagen.base.errors import InputRefused
    from hagen.compile.pipeline import load_and_check

    if case.mutate is not None:
        case.mutate(ex)
    ex.flush()
    with mock.patch.dict(os.environ, ex.env if ex.env is not None else os.environ, clear=True):
        try:
            reports = load_and_check(ex.site)[2]
            refused = False
        except InputRefused as exc:
            reports, refused = exc.reports, True
    text = "\n".join(str(r) for r in reports)
    wanted = f"{expected_location(case, ex)}: {case.severity} {case.code}:"
    if wanted not in text:
        return False
    assert refused == (case.severity == "error"), f"refused: {refused}, for a case of severity {case.severity}:\n{text}"
    return True


# through the whole command line (`hagen build` into a copy of a good build, which must stay
# as it was) as well: one case of each kind of input; every case with options or a warning too
WHOLE = ("HA100-tab", "HA101-unknown-key", "HA102-no-password-file", "HA103-password-file-readable",
         "HA113-password-file-fifo", "HA201-unknown-column", "HA240-alias-underscore-warning",
         "HA305-cluster-name-dot", "HA310-start-options")


@pytest.mark.parametrize("case", SITE_CASES + DB_CASES)
def test_bad_input(case, tmp_path, request):
    def example(name: str) -> Example:
        return Example(tmp_path / name, EXAMPLE)

    # a warning's case says the build succeeds as well: only a build shows that
    whole = SUBPROCESS or request.node.callspec.id in WHOLE or case.severity == "warning"
    if not whole:
        ex = example("checked")
        case.mutate(ex)
        whole = bool(ex.args) or not checked(replace(case, mutate=None), ex)
    if whole:
        run_case(case, example("built"), request.getfixturevalue("built"))


REAL = ("HA100-tab", "HA106-db-and-snapshot", "HA201-unknown-column", "HA240-alias-underscore-warning")


@pytest.mark.parametrize("case", [p for p in SITE_CASES + DB_CASES if p.id in REAL])
def test_bad_input_as_python_m_hagen(case, example_copy, built):
    """A few of the cases above through `python -m hagen` itself, whatever HAGEN_TEST_SUBPROCESS says."""
    run_case(case, Example.at(example_copy(EXAMPLE)), built, real=True)


def test_every_checkable_code_has_a_case():
    """Every HA1xx-HA5xx code that the loaders, the model or the checks raise has a case above."""
    from hagen.base.codes import CODES

    root = Path(__file__).resolve().parent.parent / "hagen"
    raised = set()
    for folder in ("load", "model", "check"):
        for path in (root / folder).glob("*.py"):
            raised |= set(re.findall(r'"(HA[1-5]\d\d)"', path.read_text(encoding="utf-8")))
    covered = {p.values[0].code for p in SITE_CASES + DB_CASES}
    missing = sorted(c for c in raised & set(CODES) if c not in covered)
    assert not missing, f"codes without a bad-input case: {missing}"


def test_all_problems_at_once(example_copy, built):
    """Mistakes in the site spec and the rows together: one run reports every one of them."""
    ex = Example.at(example_copy(EXAMPLE))
    ex.replace("{device: /dev/sdg,", "{device: sdg,")
    ex.replace("    - /etc/init.d/nfs\n", "    - /etc/init.d/nfs restart\n")
    ex.replace("primary: eth0}", "primary: eth5}")
    ex.replace("serve: [10.0.0.0/8]", "serve: [10.0.0.1/8]")
    ex.after("    admin: [10.0.0.0/8]", "\n    backbone: [10.0.0.0/8]")
    ex.replace("cron: []", "cron: [backup/clusterdb]")
    ex.row("node", name="ns0")["status"] = "unmanaged"
    ex.row("cluster", name="ns")["node_backbone_ipaddr"] = "176.18.118.66"
    ex.row("node", name="ns1")["name"] = "9ns"
    ex.row("node_port", id=4)["ipaddr"] = "10.1.1.1"
    ex.row("metaservice_port", name="ns")["ipaddr"] = "10.1.0.13/16"
    ex.row("hwmanager", name="ns13-bmc")["type"] = "pap"
    expected = [
        Case(None, "HA312", key="management.mnttab[1].device", anchor="device: sdg"),
        Case(None, "HA310", key="management.services[16]", anchor="/etc/init.d/nfs restart"),
        Case(None, "HA409", key="network.bonding.bonds[0].primary", anchor="primary: eth5"),
        Case(None, "HA500", key="ntp.serve[0]", anchor="10.0.0.1/8"),
        Case(None, "HA410", key="network.routes.backbone", anchor="backbone: [10"),
        Case(None, "HA318", key="management.cron[0]", anchor="backup/clusterdb"),
        Case(None, "HA308", key="management.fencing", anchor="fencing:"),
        Case(None, "HA304", where="clusterdb node[name=ns0]"),
        Case(None, "HA404", where="clusterdb cluster[name=ns]"),
        Case(None, "HA209", where="clusterdb node[name=9ns]"),
        Case(None, "HA208", where="clusterdb node_port[node=ns2, interface=eth0]"),
        Case(None, "HA402", where="clusterdb metaservice_port[name=ns]"),
    ]
    res = run_case(expected[0], ex, built)
    for case in expected:
        wanted = f"{expected_location(case, ex)}: error {case.code}:"
        assert wanted in res.stderr, f"expected {wanted!r} in:\n{res.stderr}"
    errors = re.findall(r": error (HA\d{3}):", res.stderr)
    assert len(errors) >= len(expected)
    assert f"hagen: {len(errors)} error(s) in the inputs: nothing was written" in res.stderr


def test_all_site_spec_schema_problems_at_once(example_copy, built):
    """Every schema mistake of the site spec is reported in one run, each at its own line."""
    ex = Example.at(example_copy(EXAMPLE))
    ex.after("  cron: []", "\n  colour: red")
    ex.replace("{device: /dev/sdg,", "{device: 5,")
    ex.replace("  heartbeat: admin", "  heartbeat: ib")
    ex.after("  local_clock: true", "\n  sever: [10.0.0.0/8]")
    expected = [
        Case(None, "HA101", key="management.colour", anchor="colour: red"),
        Case(None, "HA101", key="management.mnttab[1].device", anchor="device: 5"),
        Case(None, "HA101", key="management.heartbeat", anchor="heartbeat: ib"),
        Case(None, "HA101", key="ntp.sever", anchor="sever:"),
    ]
    res = run_case(expected[0], ex, built)
    for case in expected:
        wanted = f"{expected_location(case, ex)}: error {case.code}:"
        assert wanted in res.stderr, f"expected {wanted!r} in:\n{res.stderr}"
    assert len(re.findall(r": error HA101:", res.stderr)) == len(expected)


def test_all_row_problems_at_once(example_copy, built):
    """Every malformed ClusterDB row is reported in one run."""
    ex = Example.at(example_copy(EXAMPLE))
    ex.row("node", name="ns1")["colour"] = "red"
    ex.row("node_port", id=3)["node_id"] = "two"
    ex.row("network", name="admin").pop("subnet")
    ex.tables["nodes"] = []
    expected = [
        Case(None, "HA201", where="clusterdb node[name=ns1]"),
        Case(None, "HA201", where="clusterdb node_port[id=3]"),
        Case(None, "HA201", where="clusterdb network[name=admin]"),
        Case(None, "HA201", where="clusterdb nodes"),
    ]
    res = run_case(expected[0], ex, built)
    for case in expected:
        wanted = f"{case.where}: error {case.code}:"
        assert wanted in res.stderr, f"expected {wanted!r} in:\n{res.stderr}"
