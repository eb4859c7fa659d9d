"""Simulated nodes for gather and push (CLARIFICATIONS 26, 29): one root folder per node,
behind stand-ins for pdcp, pdsh, rpdcp and clush written as Python scripts run with this
interpreter. Each stand-in records its argument list, acts on $HOSTS_ROOT/<node>/ for each
node, and behaves as the real tools do when a node fails: `NODE: message` on stderr, the
other nodes served, a non-zero exit. $FANOUT_CONF (JSON) says which nodes are down
({"down": [...]}) or refuse writes ({"readonly": [...]}). A remote command that is not
one of hagen's own (mkdir, ln, rm, the link and command probes) is an action: it is
recorded in $ACTIONS_LOG as `node<TAB>command`."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

STANDIN = r'''
# Started some forty times a push: only os and sys at start (json, re, shlex and shutil
# would double the start-up), the rest imported where it is needed.
import os, sys
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")

def quote(word):           # shlex.quote, without importing re
    if not word:
        return "''"
    if all(c in SAFE for c in word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"

with open(os.environ["FANOUT_LOG"], "a") as log:
    log.write(name + " " + " ".join(quote(a) for a in args) + "\n")
conf = {}
if os.environ.get("FANOUT_CONF") and os.path.exists(os.environ["FANOUT_CONF"]):
    import json
    conf = json.load(open(os.environ["FANOUT_CONF"]))
root = os.environ["HOSTS_ROOT"]

def expand(text):      # enough of ClusterShell's node sets for these tests: ns0, ns[0,13], ns[0-4,6-13]
    head, bracket, inside = text.partition("[")     # the pattern [a-z]+\[[0-9,-]+\], without re
    if not (bracket and head and inside.endswith("]") and inside[:-1]
            and all("a" <= c <= "z" for c in head) and all(c in "0123456789,-" for c in inside[:-1])):
        return text.split(",")
    out = []
    for part in inside[:-1].split(","):
        lo, _, hi = part.partition("-")
        out += [head + str(i) for i in range(int(lo), int(hi or lo) + 1)]
    return out
nodes = expand(args[args.index("-w") + 1])
rest = args[args.index("-w") + 2:]
if rest[:1] == ["-f"]:
    rest = rest[2:]
keep = "-p" in args
failed = False

def fail(host, msg):
    global failed
    failed = True
    sys.stderr.write(f"{host}: {msg}\n")

def on(host, path):
    return os.path.join(root, host, path.lstrip("/"))

def put(host, src, dest):
    target = on(host, dest)
    if not os.path.isdir(os.path.dirname(target)):
        return fail(host, f"{os.path.dirname(dest)}: No such file or directory")
    if os.path.islink(target):
        os.unlink(target)
    import shutil
    shutil.copy2(src, target) if keep else shutil.copyfile(src, target)

def get(host, src, destdir):
    path = on(host, src)
    if not os.path.lexists(path):
        return fail(host, f"rcp: {src}: No such file or directory")
    dest = os.path.join(destdir, os.path.basename(src) + "." + host)
    if os.path.islink(path):      # a hostile node: hand back a link, to see that hagen never follows it
        return os.symlink(os.readlink(path), dest)
    import shutil
    shutil.copy2(path, dest) if keep else shutil.copyfile(path, dest)

def run(host, text):
    import shlex
    argv = shlex.split(text) if not text.startswith(("if ", "for ")) else []
    if argv[:1] == ["mkdir"]:
        for d in argv[3:]:
            os.makedirs(on(host, d), exist_ok=True)
    elif argv[:1] == ["ln"]:
        if os.path.lexists(on(host, argv[-1])):
            os.unlink(on(host, argv[-1]))
        os.symlink(argv[-2], on(host, argv[-1]))
    elif argv[:1] == ["chown"]:
        for p in argv[4:]:
            if os.getuid() == 0:
                os.lchown(on(host, p), 0, 0)
            elif not os.path.lexists(on(host, p)):
                return fail(host, f"chown: cannot access {p!r}: No such file or directory")
    elif argv[:1] == ["rm"]:
        if os.path.lexists(on(host, argv[-1])):
            os.unlink(on(host, argv[-1]))
    elif text.startswith("if [ -L "):
        path = shlex.split(text[len("if [ -L "):].split(" ]")[0])[0]
        print(f"{host}: link {os.readlink(on(host, path))}" if os.path.islink(on(host, path)) else f"{host}: missing")
    elif text.startswith("for p in "):
        for p in shlex.split(text[len("for p in "):].split(";")[0]):
            if not (os.path.isfile(on(host, p)) and os.access(on(host, p), os.X_OK)):
                print(f"{host}: missing {p}")
    else:
        with open(os.environ["ACTIONS_LOG"], "a") as log:
            log.write(f"{host}\t{text}\n")

for host in nodes:
    if host in conf.get("down", []):
        fail(host, f"ssh: connect to host {host} port 22: Connection refused")
        continue
    writes = not (name == "rpdcp" or "--rcopy" in rest or (rest and rest[-1].startswith(("if ", "for "))))
    if host in conf.get("readonly", []) and writes:
        fail(host, "Read-only file system")
        continue
    if name == "pdcp":
        put(host, rest[-2], rest[-1])
    elif name == "rpdcp":
        get(host, rest[-2], rest[-1])
    elif "--copy" in rest:
        put(host, rest[rest.index("--copy") + 1], rest[rest.index("--dest") + 1])
    elif "--rcopy" in rest:
        get(host, rest[rest.index("--rcopy") + 1], rest[rest.index("--dest") + 1])
    else:
        run(host, rest[-1])
sys.exit(1 if failed else 0)
'''

TOOLS = ("pdcp", "pdsh", "rpdcp", "clush")


def write_standins(bindir: Path) -> dict:
    """The stand-ins in bindir, run with this interpreter (never the first python3 on PATH)."""
    bindir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name in TOOLS:
        path = bindir / name
        path.write_text(f"#!{sys.executable} -S\n{STANDIN}")
        path.chmod(0o755)
        paths[name] = path
    return paths


def deploy_section(paths: dict, tool: str = "pdcp") -> str:
    if tool == "clush":
        return f"\ndeploy:\n  tool: clush\n  command: {paths['clush']}\n"
    return (f"\ndeploy:\n  tool: pdcp\n  command: {paths['pdcp']}\n  exec_command: {paths['pdsh']}\n"
            f"  gather_command: {paths['rpdcp']}\n")


def prepare(base: Path, example: Path, tool: str = "pdcp") -> Path:
    """base/example (a copy of the example whose site names the stand-ins) and base/out built from it."""
    from cli_runner import cli

    paths = write_standins(base / "bin")
    folder = base / "example"
    shutil.copytree(example, folder)
    if (folder / "fence-password").exists():
        (folder / "fence-password").chmod(0o600)
    site = folder / "site.yaml"
    site.write_text(site.read_text() + deploy_section(paths, tool))
    r = cli("build", "--site", site, "--out", base / "out")
    assert r.code == 0, r.stderr
    return base


class Nodes:
    """A per-test copy of a prepared base, with simulated nodes and the stand-ins' logs."""

    def __init__(self, base: Path, work: Path, monkeypatch):
        import subprocess

        from hagen.emit import OutputTree

        subprocess.run(["cp", "-a", str(base), str(work)], check=True)      # hard links kept
        tree = OutputTree(work / "out")
        tree.remember_inputs(tree.built_from())      # this copy is the build: intact, up to date
        self.work = work
        self.site = work / "example" / "site.yaml"
        self.out = work / "out"
        self.root = work / "hosts"
        self.log = work / "fanout.log"
        self.actions = work / "actions.log"
        self.conf = work / "fanout.json"
        for var, value in (("HOSTS_ROOT", self.root), ("FANOUT_LOG", self.log), ("ACTIONS_LOG", self.actions),
                           ("FANOUT_CONF", self.conf)):
            monkeypatch.setenv(var, str(value))
        for host in ("ns0", "ns13", *(f"ns{i}" for i in range(1, 13))):
            (self.root / host / "etc").mkdir(parents=True, exist_ok=True)

    def behave(self, down=(), readonly=()) -> None:
        import json

        self.conf.write_text(json.dumps({"down": list(down), "readonly": list(readonly)}))

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def ran(self) -> list[tuple[str, str]]:
        if not self.actions.exists():
            return []
        return [tuple(line.split("\t", 1)) for line in self.actions.read_text().splitlines()]

    def node_file(self, host: str, path: str) -> Path:
        return self.root / host / path.lstrip("/")
