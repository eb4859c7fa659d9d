"""Faults an administrator meets: the ClusterDB's server failing in every way, a build
killed in the middle of writing, two builds on one output tree.

Every fault ends in one clear `hagen:` line (and its hint), exit status 3, and an output
tree exactly as it was (files, bytes, modes, mtimes, and the `out` link itself).

Database faults run against a real PostgreSQL: the shared server (tests/pg.py) for what
one database of our own can show (another schema version, a locked table), a private
server started by the test (tests/faults_helpers.py) for what would hurt the shared one
(wrong credentials, the server stopped in the middle of a read). Already covered
elsewhere and not repeated here: an unreachable server or a missing database without a
previous tree, and `db export`/`check` on a missing table or column (test_clusterdb.py).
"""

from __future__ import annotations

import shutil

import pytest

from cli_runner import Result, cli
from clusterdb_helpers import SITE, SNAPSHOT
from conftest import EXAMPLES, tree_state
from faults_helpers import (PausedBuild, assert_complete, free_port, out_listing, private_postgres,
                            requires_private_pg, store_leftovers)
from hagen.compile.pipeline import build
from pg import execute, requires_pg, temp_database


@pytest.fixture
def previous(tmp_path):
    """A good build of the example in tmp/tree/out, and its state: (out, state)."""
    out = tmp_path / "tree" / "out"
    out.parent.mkdir()
    build(SITE, out)
    return out, (tree_state(out), out_listing(out))


def assert_fault(res, out, state, *words, secret: str | None = None, busy: bool = False) -> str:
    """Exit 3, one `hagen:` line holding words (then only its hint), nothing on stdout, no
    traceback, the secret nowhere, and out exactly as it was (busy: another build is writing
    its new generation beside it meanwhile). Returns the line."""
    assert "Traceback" not in res.output and "internal error" not in res.output, res.output
    assert res.code == 3, f"exit {res.code}:\n{res.output}"
    lines = res.stderr.splitlines()
    main = [ln for ln in lines if ln.startswith("hagen:")]
    assert len(main) == 1 and all(ln.startswith(("hagen:", "    hint:")) for ln in lines), res.stderr
    for word in words:
        assert word in main[0], f"{word!r} is not in {main[0]!r}"
    assert res.stdout == ""
    if secret:
        assert secret not in res.output
    if busy:
        assert (tree_state(out), out_listing(out)["link"]) == (state[0], state[1]["link"]), "out changed"
    else:
        assert (tree_state(out), out_listing(out)) == state, "the fault changed the output tree"
    return main[0]


def edited_example(tmp_path, old="stratum: 10", new="stratum: 8"):
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").chmod(0o600)
    site = folder / "site.yaml"
    text = site.read_text()
    assert text.count(old) == 1
    site.write_text(text.replace(old, new))
    return site


# --------------------------------------------------------------------------- the database

def test_unreachable_server_leaves_the_previous_tree(previous):
    out, state = previous
    port = free_port()                  # nothing listens there
    res = cli("build", "--site", SITE, "--db", f"postgresql://postgres@127.0.0.1:{port}/clusterdb", "--out", out)
    assert_fault(res, out, state, f"cannot connect to database clusterdb on 127.0.0.1:{port}", "Connection refused")


@pytest.fixture(scope="module")
def private_pg():
    """A private server holding the example's rows in database clusterdb (password authentication)."""
    with private_postgres() as server:
        assert cli("db", "load", "--db", server.dsn(dbname="postgres"), SNAPSHOT).code == 0
        yield server


@requires_private_pg
def test_wrong_credentials(private_pg, previous, tmp_path):
    out, state = previous
    good = private_pg.dsn()
    res = cli("build", "--site", SITE, "--db", good, "--out", tmp_path / "right")
    assert res.code == 0, res.output            # the server and its rows are fine: only the password differs
    wrong = private_pg.dsn(password="not-the-password-42")
    res = cli("build", "--site", SITE, "--db", wrong, "--out", out)
    assert_fault(res, out, state, f"cannot connect to database postgres on 127.0.0.1:{private_pg.port}",
                        'password authentication failed for user "postgres"', secret="not-the-password-42")
    assert private_pg.password not in res.output
    # what to do for this cause: the password outside the DSN, PGPASSWORD or ~/.pgpass (format, mode)
    assert "PGPASSWORD" in res.output and "host:port:database:user:password in ~/.pgpass" in res.output
    assert "chmod 600 ~/.pgpass" in res.output
    res = cli("build", "--site", SITE, "--db", private_pg.dsn().replace("postgres:", "nobody:", 1), "--out", out)
    assert_fault(res, out, state, 'password authentication failed for user "nobody"')


@requires_private_pg
def test_server_stopped_in_the_middle_of_a_read(private_pg, previous, tmp_path):
    """The build reads the first table, then the server dies (pg_ctl stop -m immediate)
    before the second SELECT: exit 3, one line, out untouched."""
    out, state = previous
    port = private_pg.port
    child = PausedBuild("select", 2, ["build", "--site", SITE, "--db", private_pg.dsn(), "--out", out], tmp_path)
    try:
        child.wait_paused()
        private_pg.stop("immediate")
        code, stdout, stderr = child.release()
    finally:
        child.cleanup()
        if not private_pg.running:
            private_pg.start()           # for the other tests of the module (a new port)
    assert_fault(Result(code, stdout, stderr), out, state, f"reading database postgres on 127.0.0.1:{port} failed",
                 "server closed the connection", secret=private_pg.password)


@requires_pg
@pytest.mark.parametrize("change,words", [
    ("DROP TABLE lustre_mount", ("not a ClusterDB hagen can read", "lustre_mount")),
    ("ALTER TABLE lustre_ost DROP COLUMN status", ("another ClusterDB schema version", "lustre_ost", "status")),
    ("ALTER TABLE node_port RENAME COLUMN ipaddr TO address", ("another ClusterDB schema version", "ipaddr")),
], ids=["missing-table", "missing-column", "renamed-column"])
def test_another_schema_version_leaves_the_previous_tree(previous, change, words):
    out, state = previous
    with temp_database() as dsn:
        assert cli("db", "load", "--db", dsn, SNAPSHOT).code == 0
        execute(dsn, change)
        res = cli("build", "--site", SITE, "--db", dsn, "--out", out)
    assert_fault(res, out, state, *words)


@requires_pg
def test_statement_timeout_on_a_locked_table(previous, monkeypatch):
    """Another session holds an ACCESS EXCLUSIVE lock on a table: the read gives up after
    HAGEN_STATEMENT_TIMEOUT_MS (hagen.load.clusterdb.STATEMENT_TIMEOUT_MS by default)."""
    import psycopg

    out, state = previous
    with temp_database() as dsn:
        assert cli("db", "load", "--db", dsn, SNAPSHOT).code == 0
        with psycopg.connect(dsn) as locker:
            locker.execute("LOCK TABLE node IN ACCESS EXCLUSIVE MODE")      # held until the block ends
            monkeypatch.setenv("HAGEN_STATEMENT_TIMEOUT_MS", "300")
            res = cli("build", "--site", SITE, "--db", dsn, "--out", out)     # never returns without the timeout
            locker.rollback()
        assert_fault(res, out, state, "took too long", "statement timeout")
        monkeypatch.setenv("HAGEN_STATEMENT_TIMEOUT_MS", "soon")
        res = cli("build", "--site", SITE, "--db", dsn, "--out", out)
        assert res.code == 2 and "HAGEN_STATEMENT_TIMEOUT_MS" in res.stderr, res.output
        monkeypatch.delenv("HAGEN_STATEMENT_TIMEOUT_MS")
        res = cli("build", "--site", SITE, "--db", dsn, "--out", out)       # the lock is gone: it builds
        assert res.code == 0, res.output
    assert tree_state(out) == state[0]                                       # same rows, same tree


# --------------------------------------------------------------------------- killed builds, two builds

def contents(out) -> dict:
    """{relative path: (bytes, mode)}: a tree's content, whatever its mtimes."""
    return {k: v[:2] for k, v in tree_state(out).items()}


@pytest.fixture(scope="module")
def edited_tree(tmp_path_factory):
    """The content of a build of the edited example (stratum 8) into an out of its own."""
    tmp = tmp_path_factory.mktemp("edited")
    out = tmp / "out"
    build(edited_example(tmp), out)
    return contents(out)


# Kill points, in the order a build passes them: old = the previous tree survives the kill,
# new = the next hagen command finishes the killed build's journal.
KILLS = [
    pytest.param("object", 1, "old", id="writing-an-object"),
    pytest.param("journal", 1, "old", id="writing-the-journal"),
    pytest.param("link", 1, "new", id="applying-before-the-first-link"),
    pytest.param("link", 2, "new", id="applying-between-two-links"),
    pytest.param("manifest", 1, "new", id="applying-the-manifest"),
    pytest.param("finish", 1, "new", id="removing-the-journal"),
]


@pytest.mark.parametrize("point,n,outcome", KILLS)
def test_a_build_killed_during_emit_leaves_the_old_or_the_new_tree(previous, tmp_path, edited_tree, point, n,
                                                                   outcome):
    """SIGKILL at each step of the incremental apply (stratum 10 -> 8: two host files change).
    Before the journal is in place the previous tree is untouched; after, the next hagen
    command (here `hagen diff`, a reader) rolls the journal forward. Either way the tree is
    whole, and the next build succeeds and leaves nothing behind."""
    out, state = previous
    site = edited_example(tmp_path)
    child = PausedBuild(point, n, ["build", "--site", site, "--out", out], tmp_path)
    try:
        child.wait_paused()
        assert child.kill() == -9
    finally:
        child.cleanup()
    assert out_listing(out)["link"] == state[1]["link"]
    assert store_leftovers(out), "the kill should have left something for the next command to clear"
    res = cli("diff", "--site", SITE, "--against", out)
    assert res.code in (0, 1), res.output
    assert not (out.parent / ".out.d/journal.json").exists()
    assert_complete(out)
    if outcome == "old":
        assert tree_state(out) == state[0], "a build killed before its journal changed the output tree"
        assert res.code == 0
    else:
        assert contents(out) == edited_tree, "the killed build's journal was not rolled forward"
        assert res.code == 1 and "ntp.conf" in res.stdout
    _, result = build(site, out)
    assert result.noop == (outcome == "new")
    assert contents(out) == edited_tree
    assert store_leftovers(out) == [], "the next build left a journal, stray objects or links"


def test_a_build_killed_half_way_through_a_change_of_every_host_is_rolled_forward(previous, tmp_path):
    """ns1's BMC address moves: /etc/hosts changes on all 14 hosts. Killed after 7 of them, the
    tree is finished by the next command (`hagen explain`, a reader), not left half old."""
    out, state = previous
    folder = tmp_path / "example"
    shutil.copytree(EXAMPLES / "bas5-guide", folder)
    (folder / "fence-password").chmod(0o600)
    snapshot = folder / "clusterdb.yaml"
    snapshot.write_text(snapshot.read_text().replace("ipaddr: 10.2.0.2,", "ipaddr: 10.2.0.99,"))
    child = PausedBuild("link", 8, ["build", "--site", folder / "site.yaml", "--out", out], tmp_path)
    try:
        child.wait_paused()
        assert child.kill() == -9
    finally:
        child.cleanup()
    hosts = sorted({k.split("/")[0] for k in state[0] if not k.startswith(".")})
    moved = [h for h in hosts if b"10.2.0.99" in (out / h / "etc/hosts").read_bytes()]
    assert len(moved) == 7, "the kill should have come half way through the apply"
    res = cli("explain", "ns0", "/etc/ntp.conf", "--site", folder / "site.yaml", "--out", out)
    assert res.code == 0, res.output
    assert_complete(out)
    assert all(b"10.2.0.99" in (out / h / "etc/hosts").read_bytes() for h in hosts)
    compiled, result = build(folder / "site.yaml", out)
    assert result.noop and store_leftovers(out) == []


@pytest.mark.parametrize("point,n", [("link", 20), ("manifest", 1), ("swap", 1)],
                         ids=["among-the-links", "its-manifest", "making-out"])
def test_a_first_build_killed_leaves_no_tree(tmp_path, point, n):
    """The first build of a store makes the whole tree beside and renames it in place: killed
    before out is made, there is no out (the old state); the next build makes it whole."""
    out = tmp_path / "out"
    child = PausedBuild(point, n, ["build", "--site", SITE, "--out", out], tmp_path)
    try:
        child.wait_paused()
        assert child.kill() == -9
    finally:
        child.cleanup()
    assert not out.exists() and not out.is_symlink()
    _, result = build(SITE, out)
    assert not result.noop
    assert len(assert_complete(out)["files"]) > 10
    assert store_leftovers(out) == []


def test_two_builds_on_one_tree_the_second_refuses(previous, tmp_path):
    out, state = previous
    site = edited_example(tmp_path)
    first = PausedBuild("link", 1, ["build", "--site", site, "--out", out], tmp_path)
    try:
        first.wait_paused()
        res = cli("build", "--site", SITE, "--out", out)
        assert_fault(res, out, state, f"another hagen build is writing {out} (pid {first.proc.pid})",
                     busy=True)
        assert "wait for it to finish" in res.stderr
        code, stdout, stderr = first.release()
    finally:
        first.cleanup()
    assert code == 0, stdout + stderr
    assert_complete(out)
    assert "stratum 8" in (out / "ns0/etc/ntp.conf").read_text()
    assert store_leftovers(out) == []


# --------------------------------------------------------------------------- interrupted builds

@pytest.mark.parametrize("point,n", [("object", 1), ("journal", 1), ("link", 1)],
                         ids=["writing-an-object", "writing-the-journal", "among-the-links"])
def test_an_interrupted_build_exits_130_and_leaves_the_tree(previous, tmp_path, point, n):
    """SIGINT (Ctrl-C) at three moments of emit, the last inside the apply: exit 130, one
    line, no traceback, out as it was."""
    import signal

    out, state = previous
    site = edited_example(tmp_path)
    child = PausedBuild(point, n, ["build", "--site", site, "--out", out], tmp_path)
    try:
        child.wait_paused()
        child.proc.send_signal(signal.SIGINT)
        stdout, stderr = child.proc.communicate(timeout=60)
    finally:
        child.cleanup()
    assert child.proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert f"hagen: interrupted; {out} is unchanged" in stderr
    assert tree_state(out) == state[0] and out_listing(out)["link"] == state[1]["link"]


def test_a_failure_after_the_swap_says_the_tree_changed(previous, tmp_path, monkeypatch):
    """The new tree is in place when the failure comes: the message must not say "unchanged"."""
    from hagen.emit import OutputTree

    out, state = previous
    site = edited_example(tmp_path)

    def interrupted(self, fingerprint, warnings=None):
        raise KeyboardInterrupt
    monkeypatch.setattr(OutputTree, "remember_inputs", interrupted)
    res = cli("build", "--site", site, "--out", out)
    assert res.code == 130, res.output
    assert f"{out} was replaced by a new tree" in res.stderr and "unchanged" not in res.stderr
    assert "stratum 8" in (out / "ns0/etc/ntp.conf").read_text()
