"""Simulated nodes for gather and push (CLARIFICATIONS 26, 29): one root folder per node,
$HOSTS_ROOT/<node>/, reached the way the real tools reach a node:

    node-ssh   ssh as a node answers it: the command runs in a real shell whose PATH holds
               only the node's shims (mkdir, ln, chown, rm, stat, sha256sum, readlink map
               each absolute path under the node's folder; hagen's follow-up actions are
               logged in $ACTIONS_LOG as `node<TAB>command line`)
    node-scp   scp to or from a node, as clush runs it (-O scp_path=...)
    pdsh, pdcp, rpdcp, clush
               stand-ins written as Python scripts run with this interpreter: they record
               their argument list in $FANOUT_LOG and behave as the real tools do (pdsh
               2.34, clush 1.10): per-node error lines, exit 0 whatever failed on the
               nodes (-S: the largest remote status; pdcp and rpdcp refuse -S)
    pdsh-exec  the REAL pdsh (-R exec), each node through node-ssh
    ssh-path/ssh
               node-ssh as `ssh` on PATH, for the REAL pdsh, pdcp and rpdcp with -R ssh (it
               maps the file the remote pdcp/rpdcp server writes or reads)

What a node does is said by files in $FANOUT_STATE (Nodes.behave): down/<node> (ssh fails,
exit 255), hung/<node> (never answers), lost/<node> (copies to or from it never land, nothing said), readonly/<node> (every write fails), broken/<node>
(the commands it names fail), and `strict` (the stand-ins exit 1 when a node failed, as
pdcp does and CLARIFICATIONS 29 describes: both kinds must work)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

NODE_SSH = r"""#!/bin/sh
while :; do
  case $1 in
    -l|-p|-i|-F|-o) shift 2;;
    -*) shift;;
    *) break;;
  esac
done
host=$1; shift
st=$FANOUT_STATE
if [ -e "$st/down/$host" ]; then echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255; fi
if [ -e "$st/hung/$host" ]; then exec sleep 60; fi
case "$*" in
  */pdcp\ *-z\ *|*/rpdcp\ *-Z\ *)
    # the real pdcp or rpdcp (-R ssh) starting its server on the node: the file it writes
    # (pdcp: the last word) or reads (rpdcp: the one before the node name) is the node's
    if [ -e "$st/readonly/$host" ] && [ "${*#*/pdcp }" != "$*" ]; then
      echo "pdcp: Read-only file system" >&2; exit 1
    fi
    set -- $*
    last=$#; n=0
    case $1 in */rpdcp) at=$((last - 1));; *) at=$last;; esac
    for a do
      shift; n=$((n+1))
      if [ $n -eq $at ]; then a=$HOSTS_ROOT/$host$a; fi
      set -- "$@" "$a"
    done
    exec "$@";;
esac
NODE=$host NODE_ROOT=$HOSTS_ROOT/$host PATH=$NODE_SHIMS exec /bin/sh -c "$*"
"""

NODE_SCP = r"""#!/bin/sh
keep=
while :; do
  case $1 in
    -p) keep=-p; shift;;
    -o|-P|-i|-F|-l|-S) shift 2;;
    -*) shift;;
    *) break;;
  esac
done
src=$1 dest=$2
remote() {
  case $1 in
    \[*) x=${1#\[}; host=${x%%\]:*}; path=${x#*\]:};;
    *) host=${1%%:*}; path=${1#*:};;
  esac
}
case $dest in *:*) put=1; remote "$dest";; *) put=; remote "$src";; esac
st=$FANOUT_STATE
if [ -e "$st/down/$host" ]; then echo "ssh: connect to host $host port 22: Connection refused" >&2; exit 255; fi
if [ -e "$st/hung/$host" ]; then exec sleep 60; fi
node=$HOSTS_ROOT/$host$path
if [ -n "$put" ]; then
  if [ -e "$st/readonly/$host" ]; then echo "scp: $path: Read-only file system" >&2; exit 1; fi
  if [ -L "$node" ]; then rm -f -- "$node"; fi
  cp $keep -- "$src" "$node" 2>/dev/null || { echo "scp: $path: No such file or directory" >&2; exit 1; }
else
  if [ -L "$node" ]; then exec ln -s -- "$(readlink -- "$node")" "$dest"; fi
  [ -e "$node" ] || { echo "scp: $path: No such file or directory" >&2; exit 1; }
  exec cp $keep -- "$node" "$dest"
fi
"""

SHIM = r"""#!/bin/sh
name=${0##*/}
st=$FANOUT_STATE
if [ -e "$st/broken/$NODE" ] && /usr/bin/grep -qx -- "$name" "$st/broken/$NODE"; then
  echo "$name: cannot do that here: Permission denied" >&2; exit 1
fi
case $name in mkdir|ln|chown|rm)
  if [ -e "$st/readonly/$NODE" ]; then echo "$name: Read-only file system" >&2; exit 1; fi;;
esac
last=$#
n=0
for a do
  shift
  n=$((n+1))
  case $name:$a in
    ln:*) if [ $n -eq $last ]; then a=$NODE_ROOT$a; fi;;
    *:/*) a=$NODE_ROOT$a;;
  esac
  set -- "$@" "$a"
done
if [ "$name" = chown ] && [ "$NODE_IS_ROOT" != 1 ]; then
  for a do
    case $a in /*) if [ ! -e "$a" ] && [ ! -L "$a" ]; then
      echo "chown: cannot access '${a#"$NODE_ROOT"}': No such file or directory" >&2; exit 1; fi;; esac
  done
  exit 0
fi
exec "/usr/bin/$name" "$@"
"""

ACTION = r"""#!/bin/sh
printf '%s\t%s\n' "$NODE" "${0##*/}${*:+ $*}" >> "$ACTIONS_LOG"
"""

SHIMMED = ("mkdir", "ln", "chown", "rm", "sha256sum", "stat", "readlink")
ACTIONS = ("ccs_tool", "cman_tool", "scontrol", "exportfs", "service", "systemctl", "corosync-cfgtool")

STANDIN = r'''
# Started some forty times a push: only os and sys at start.
import os, sys
name = os.path.basename(sys.argv[0])
args = sys.argv[1:]
SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-^")

def quote(word):           # shlex.quote, without importing re
    if not word:
        return "''"
    if all(c in SAFE for c in word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"

with open(os.environ["FANOUT_LOG"], "a") as log:
    log.write(name + " " + " ".join(quote(a) for a in args) + "\n")
st = os.environ["FANOUT_STATE"]
root = os.environ["HOSTS_ROOT"]

def state(kind, host):
    return os.path.exists(os.path.join(st, kind, host))

def expand(text):      # enough of ClusterShell's node sets: ns0, ns[0,13], ns[0-4,6-13], a,b[1-2]
    parts, depth, cur = [], 0, ""
    for c in text:
        depth += (c == "[") - (c == "]")
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += c
    parts.append(cur)
    out = []
    for part in parts:
        head, bracket, inside = part.partition("[")
        if not bracket:
            out.append(part)
            continue
        for rng in inside.rstrip("]").split(","):
            lo, _, hi = rng.partition("-")
            out += [head + str(i).zfill(len(lo)) for i in range(int(lo), int(hi or lo) + 1)]
    return out

opts, rest, nodes, i = {}, [], [], 0
while i < len(args):
    a = args[i]
    if a in ("-t", "-u", "-f", "-R", "-O", "-l"):
        opts[a] = args[i + 1]
        i += 2
    elif a == "-w":
        w = args[i + 1]
        nodes = open(w[1:]).read().split() if w.startswith("^") else expand(w)
        i += 2
    elif a == "--hostfile":
        nodes = open(args[i + 1]).read().split()
        i += 2
    elif a in ("-S", "-p"):
        opts[a] = True
        i += 1
    else:
        rest.append(a)
        i += 1
if "-S" in opts and name in ("pdcp", "rpdcp"):
    sys.stderr.write(f"{name}: invalid option -- 'S'\nUsage: {name} [-options] src [src2...] dest\n")
    sys.exit(1)
timeout = int(opts["-u"]) if "-u" in opts else None
tag = "clush: " if name == "clush" else f"{name}@admin: "
worst = 0

def report(host, code, err):
    global worst
    for line in err.splitlines():
        sys.stderr.write(f"{host}: {line}\n")
    if code:
        worst = max(worst, code)
        sys.stderr.write(f"{tag}{host}: " + ("" if name == "clush" else "ssh ") + f"exited with exit code {code}\n")

def hung(host):
    global worst
    worst = max(worst, 255)
    sys.stderr.write(f"{tag}{host}: command timeout\n")

def remote(host, text):
    import subprocess
    try:
        p = subprocess.run([os.environ["NODE_SSH"], host, text], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return hung(host)
    for line in p.stdout.splitlines():
        sys.stdout.write(f"{host}: {line}\n")
    report(host, p.returncode, p.stderr)

def copy(host, src, dest, put):
    if state("down", host):
        return report(host, 255, f"ssh: connect to host {host} port 22: Connection refused")
    if state("hung", host):
        return hung(host)
    import shutil
    node = os.path.join(root, host, (dest if put else src).lstrip("/"))
    if state("lost", host):       # a copy that never lands, either way, and nothing said about it
        return
    if put:
        if state("readonly", host):
            return report(host, 1, f"scp: {dest}: Read-only file system")
        if not os.path.isdir(os.path.dirname(node)):
            return report(host, 1, f"scp: {dest}: No such file or directory")
        if os.path.islink(node):
            os.unlink(node)
        return shutil.copy2(src, node) if "-p" in opts else shutil.copyfile(src, node)
    if not os.path.lexists(node):
        return report(host, 1, f"scp: {src}: No such file or directory")
    target = os.path.join(dest, os.path.basename(src) + "." + host)
    if os.path.islink(node):      # a hostile node: hand back a link, to see that hagen never follows it
        return os.symlink(os.readlink(node), target)
    shutil.copy2(node, target) if "-p" in opts else shutil.copyfile(node, target)

for host in nodes:
    if name == "pdcp":
        copy(host, rest[-2], rest[-1], True)
    elif name == "rpdcp":
        copy(host, rest[-2], rest[-1], False)
    elif "--copy" in rest:
        copy(host, rest[rest.index("--copy") + 1], rest[rest.index("--dest") + 1], True)
    elif "--rcopy" in rest:
        copy(host, rest[rest.index("--rcopy") + 1], rest[rest.index("--dest") + 1], False)
    else:
        remote(host, rest[-1])
sys.stdout.flush()
if os.path.exists(os.path.join(st, "strict")):
    sys.exit(1 if worst else 0)
sys.exit(min(worst, 255) if "-S" in opts else 0)
'''

PDSH_EXEC = r'''
# The real pdsh, its exec module reaching each simulated node through node-ssh:
# `pdsh-exec [options] -w NODES COMMAND` runs `pdsh -R exec [options] -w NODES node-ssh %h COMMAND`.
# pdsh refuses -t with -R exec (there is no connection to time): the wrapper drops it.
import os, sys
args = sys.argv[1:]
command = args.pop()
if "-t" in args:
    del args[args.index("-t"):args.index("-t") + 2]
os.execv(os.environ["REAL_PDSH"], ["pdsh", "-R", "exec", *args, os.environ["NODE_SSH"], "%h", command])
'''

TOOLS = ("pdcp", "pdsh", "rpdcp", "clush")


def _script(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o755)
    return path


def write_standins(bindir: Path) -> dict:
    """The stand-ins in bindir (Python ones run with this interpreter, never the first
    python3 on PATH), node-ssh, node-scp, pdsh-exec and the nodes' shims in bindir/shims."""
    bindir.mkdir(parents=True, exist_ok=True)
    paths = {name: _script(bindir / name, f"#!{sys.executable} -S\n{STANDIN}") for name in TOOLS}
    paths["pdsh-exec"] = _script(bindir / "pdsh-exec", f"#!{sys.executable} -S\n{PDSH_EXEC}")
    paths["node-ssh"] = _script(bindir / "node-ssh", NODE_SSH)
    (bindir / "ssh-path").mkdir(exist_ok=True)            # `ssh` for pdsh -R ssh: PATH=bindir/ssh-path:...
    os.symlink(paths["node-ssh"], bindir / "ssh-path" / "ssh")
    paths["ssh-path"] = bindir / "ssh-path"
    paths["node-scp"] = _script(bindir / "node-scp", NODE_SCP)
    shims = bindir / "shims"
    shims.mkdir(exist_ok=True)
    shim, action = _script(bindir / "shim", SHIM), _script(bindir / "action", ACTION)
    for name in SHIMMED:
        os.symlink(shim, shims / name)
    for name in ACTIONS:
        os.symlink(action, shims / name)
    paths["shims"] = shims
    return paths


def deploy_section(paths: dict, tool: str = "pdcp", extra: str = "") -> str:
    if tool == "clush":
        return f"\ndeploy:\n  tool: clush\n  command: {paths['clush']}\n{extra}"
    return (f"\ndeploy:\n  tool: pdcp\n  command: {paths['pdcp']}\n  exec_command: {paths['pdsh']}\n"
            f"  gather_command: {paths['rpdcp']}\n{extra}")


def without_shared_files(text: str) -> str:
    """A site spec's text without its shared_files list: every file written whole, so that a
    test of the fan-out needs no gather before its push (push sends a shared file only
    merged into the node's own content as gathered, HA966)."""
    return re.sub(r"^shared_files:\n(?:[ \t]+-.*\n|[ \t]*#.*\n)*", "", text, flags=re.M)


def prepare(base: Path, example: Path, tool: str = "pdcp", section: str | None = None,
            shared: bool = True) -> Path:
    """base/example (a copy of the example whose site names the stand-ins, or section) and
    base/out built from it; shared=False: its shared_files left out (without_shared_files)."""
    from cli_runner import cli

    paths = write_standins(base / "bin")
    folder = base / "example"
    shutil.copytree(example, folder)
    if (folder / "fence-password").exists():
        (folder / "fence-password").chmod(0o600)
    site = folder / "site.yaml"
    text = section.format(**{k: str(v) for k, v in paths.items()}) if section else deploy_section(paths, tool)
    site.write_text((site.read_text() if shared else without_shared_files(site.read_text())) + text)
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
        self.state = work / "fanout.state"
        self.state.mkdir(exist_ok=True)
        bindir = base / "bin"
        for var, value in (("HOSTS_ROOT", self.root), ("FANOUT_LOG", self.log), ("ACTIONS_LOG", self.actions),
                           ("FANOUT_STATE", self.state), ("NODE_SSH", bindir / "node-ssh"),
                           ("NODE_SHIMS", bindir / "shims"), ("NODE_IS_ROOT", int(os.getuid() == 0)),
                           ("REAL_PDSH", shutil.which("pdsh") or "/usr/bin/pdsh")):
            monkeypatch.setenv(var, str(value))
        for host in ("ns0", "ns13", *(f"ns{i}" for i in range(1, 13))):
            (self.root / host / "etc").mkdir(parents=True, exist_ok=True)

    def behave(self, down=(), readonly=(), hung=(), broken=None, lost=(), strict=False) -> None:
        """What the nodes do from now on: broken maps a node to the commands that fail there."""
        shutil.rmtree(self.state)
        self.state.mkdir()
        for kind, hosts in (("down", down), ("readonly", readonly), ("hung", hung), ("broken", broken or {}),
                            ("lost", lost)):
            (self.state / kind).mkdir()
            for host in hosts:
                (self.state / kind / host).write_text("".join(f"{c}\n" for c in (broken or {}).get(host, [])))
        if strict:
            (self.state / "strict").write_text("")

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []

    def ran(self) -> list[tuple[str, str]]:
        if not self.actions.exists():
            return []
        return [tuple(line.split("\t", 1)) for line in self.actions.read_text().splitlines()]

    def node_file(self, host: str, path: str) -> Path:
        return self.root / host / path.lstrip("/")
