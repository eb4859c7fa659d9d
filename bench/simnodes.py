#!/usr/bin/env python3
"""Simulated nodes for the bench: one folder each under $HOSTS_ROOT, behind one stand-in
that plays pdcp, pdsh, rpdcp and clush (named by `--as NAME`, else by the name it is called by).

tests/deploy_helpers.py runs a real shell per node and per call, which is right for the
tests (every command hagen sends runs as on a node) and far too slow for 10,000 nodes.
This one serves every node of a call in its own process, and understands the commands
hagen sends (mkdir -p, ln -sfn, chown -h, stat -c, sha256sum, rm -f, gather's inventory
script, a follow-up action, and the status marker that ends each): the time it takes is
the tool's, which the bench keeps apart from hagen's own (bench/owntime.py). Copies to
the nodes are hard links to the sent file (ten thousand copies of an 833 KB /etc/hosts
would measure the disk); copies back are real copies (hagen chmods what it fetched).
Output lines are those of the real tools: `NODE: text`, exit 0 whatever failed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import stat
import sys

from ClusterShell.NodeSet import NodeSet

NAME = sys.argv[2] if sys.argv[1:2] == ["--as"] else os.path.basename(sys.argv[0])
ARGS = sys.argv[3:] if sys.argv[1:2] == ["--as"] else sys.argv[1:]
ROOT = os.environ["HOSTS_ROOT"]
MARKER = re.compile(r"; echo (hagen-done-[0-9a-f]+):\$\?$")
KINDS = {stat.S_IFREG: "regular file", stat.S_IFDIR: "directory", stat.S_IFLNK: "symbolic link",
         stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket", stat.S_IFCHR: "character special file",
         stat.S_IFBLK: "block special file"}
_SUMS: dict = {}


def parse(args: list[str]):
    opts, rest, nodes, i = {}, [], [], 0
    while i < len(args):
        a = args[i]
        if a in ("-t", "-u", "-f", "-R", "-l", "--topology"):
            i += 2
        elif a == "-w":
            w = args[i + 1]
            nodes = open(w[1:]).read().split() if w.startswith("^") else list(NodeSet(w))
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
    return opts, rest, nodes


def at(host: str, path: str) -> str:
    return os.path.join(ROOT, host, path.lstrip("/"))


def put(host: str, src: str, dest: str) -> str | None:
    node = at(host, dest)
    if not os.path.isdir(os.path.dirname(node)):
        return f"scp: {dest}: No such file or directory"
    tmp = f"{node}.sim-{os.getpid()}"
    try:
        os.link(src, tmp)
    except OSError:
        shutil.copy2(src, tmp)
    os.replace(tmp, node)
    return None


def get(host: str, src: str, destdir: str, keep: bool) -> str | None:
    node = at(host, src)
    if not os.path.lexists(node):
        return f"scp: {src}: No such file or directory"
    target = os.path.join(destdir, f"{os.path.basename(src)}.{host}")
    if os.path.islink(node):
        os.symlink(os.readlink(node), target)
    else:
        (shutil.copy2 if keep else shutil.copyfile)(node, target)
    return None


def digest(path: str) -> str:
    st = os.stat(path)
    key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _SUMS:
        with open(path, "rb") as f:
            _SUMS[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _SUMS[key]


def kind(st) -> str:
    name = KINDS.get(stat.S_IFMT(st.st_mode), "weird file")
    return "regular empty file" if name == "regular file" and st.st_size == 0 else name


def inventory(host: str, text: str, out: list) -> int:
    lists = re.findall(r"for p in (.*?); do", text)
    paths = shlex.split(lists[0]) if lists and "hagen-inv" in text else []
    commands = shlex.split(lists[-1]) if lists and "hagen-cmd" in text else []
    i = 0
    for p in paths:
        try:
            st = os.lstat(at(host, p))
            out.append(f"hagen-inv {i} {stat.S_IMODE(st.st_mode):o}:{kind(st)}")
            if stat.S_ISLNK(st.st_mode):
                out.append(f"hagen-link {i} {os.readlink(at(host, p))}")
        except FileNotFoundError:
            out.append(f"hagen-inv {i} missing")
        i += 1
    for p in commands:
        try:
            st = os.stat(at(host, p))
            out.append(f"hagen-cmd {i} {stat.S_IMODE(st.st_mode):o}:{kind(st)}")
        except OSError:
            out.append(f"hagen-cmd {i} missing")
        i += 1
    return 0


def one(host: str, words: list[str], out: list, err: list) -> int:
    cmd, args = words[0], [w for w in words[1:] if w != "--"]
    if cmd == "mkdir":
        for d in args[1:] if args[:1] == ["-p"] else args:
            os.makedirs(at(host, d), exist_ok=True)
    elif cmd == "ln":
        target, path = args[-2], at(host, args[-1])
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
        os.symlink(target, path)
    elif cmd == "chown":
        for p in args[2:]:
            if not os.path.lexists(at(host, p)):
                err.append(f"chown: cannot access '{p}': No such file or directory")
                return 1
    elif cmd == "stat":
        fmt = args[1]
        for p in args[2:]:
            out.append(fmt.replace("%a", f"{stat.S_IMODE(os.stat(at(host, p)).st_mode):o}"))
    elif cmd == "sha256sum":
        for p in args:
            out.append(f"{digest(at(host, p))}  {p}")
    elif cmd == "rm":
        for p in args[1:]:
            if os.path.lexists(at(host, p)):
                os.unlink(at(host, p))
    return 0           # a follow-up action (ccs_tool, exportfs...) succeeds


def run(host: str, text: str, out: list, err: list) -> int:
    if text.startswith("LC_ALL=C; export LC_ALL; i=0"):
        return inventory(host, text, out)
    for part in text.split(" && "):
        try:
            code = one(host, shlex.split(part), out, err)
        except OSError as exc:
            err.append(f"{exc.strerror}")
            code = 1
        if code:
            return code
    return 0


def main() -> int:
    opts, rest, nodes = parse(ARGS)
    tag = "clush: " if NAME == "clush" else f"{NAME}@admin: "
    w_out, w_err = sys.stdout.write, sys.stderr.write
    if NAME in ("pdcp", "rpdcp") or "--copy" in rest or "--rcopy" in rest:
        if "--copy" in rest or "--rcopy" in rest:
            flag = "--copy" if "--copy" in rest else "--rcopy"
            src, dest = rest[rest.index(flag) + 1], rest[rest.index("--dest") + 1]
        else:
            src, dest = rest[-2], rest[-1]
        back = NAME == "rpdcp" or "--rcopy" in rest
        for host in nodes:
            why = get(host, src, dest, "-p" in opts) if back else put(host, src, dest)
            if why:
                w_err(f"{host}: {why}\n{tag}{host}: exited with exit code 1\n")
        return 0
    text = rest[-1]
    mark = MARKER.search(text)
    body = text[:mark.start()] if mark else text
    for host in nodes:
        out, err = [], []
        code = run(host, body, out, err)
        if mark:
            out.append(f"{mark.group(1)}:{code}")
        w_out("".join(f"{host}: {line}\n" for line in out))
        if err:
            w_err("".join(f"{host}: {line}\n" for line in err))
        if code:
            w_err(f"{tag}{host}: exited with exit code {code}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
