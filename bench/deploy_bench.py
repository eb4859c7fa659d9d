"""push, gather and diff --against measured against simulated nodes (bench/simnodes.py), with
hagen's own time kept apart from the fan-out tool's (bench/owntime.py); and a push and a
gather through ClusterShell gateways (tests/tree_helpers.py: sshd on 127.0.0.1 plays them,
the real clush, simulated nodes behind them).

For one size: the build (not timed), one folder per node, then in order
    first push        every file to every node
    no-op push        nothing to send
    gather            after the push: every node holds the build
    dry run           push --dry-run right after gather (is the tree still up to date?)
    diff --against    the built tree against the gathered one
    one-address push  one interconnect address changed in the snapshot (/etc/hosts on every
                      node), the tree rebuilt (not timed), then push
Each is one run of the real command line; hagen's own time is its wall time less the time
its children (the tool) ran.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"first": 5.0, "one_address": 1.0, "noop": 0.5, "gather": 3.0, "diff": 2.0}     # s, hagen's own, at XL
STEPS = [("first", "first push of everything"), ("noop", "push with nothing to send"),
         ("gather", "gather (after the push)"), ("dry_run", "push --dry-run right after gather"),
         ("diff", "diff --against the gathered tree"),
         ("one_address", "push after one address changed (/etc/hosts everywhere)")]


def _tools(folder: Path) -> dict:
    bindir = folder / "bin"
    bindir.mkdir(exist_ok=True)
    paths = {}
    for tool in ("pdcp", "pdsh", "rpdcp"):
        paths[tool] = bindir / tool
        paths[tool].write_text(f'#!/bin/sh\nexec {sys.executable} {HERE / "simnodes.py"} --as {tool} "$@"\n')
        paths[tool].chmod(0o755)
    return paths


def timed(hagen_path: Path, folder: Path, name: str, *args, ok=(0,)) -> dict:
    """One hagen command line under bench/owntime.py: its figures."""
    report = folder / f"{name}.json"
    env = dict(os.environ, PYTHONPATH=str(hagen_path), HOSTS_ROOT=str(folder / "hosts"))
    proc = subprocess.run([sys.executable, str(HERE / "owntime.py"), str(report), "--", *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=folder)
    figures = json.loads(report.read_text())
    if figures["status"] not in ok:
        sys.exit(f"failed ({figures['status']}): hagen {' '.join(map(str, args))}\n{proc.stdout[-2000:]}\n"
                 f"{proc.stderr[-2000:]}")
    figures["summary"] = (proc.stdout.strip().splitlines() or [""])[-1][:160]
    return figures


def bench_deploy(size: str, work: Path, hagen_path: Path) -> dict:
    folder = work / f"deploy-{size}"
    subprocess.run([sys.executable, str(HERE / "gen_cluster.py"), "--size", size, "-o", str(folder)], check=True,
                   capture_output=True)
    tools = _tools(folder)
    site = folder / "site.yaml"
    with open(site, "a") as f:
        f.write(f"\ndeploy:\n  tool: pdcp\n  command: {tools['pdcp']}\n  exec_command: {tools['pdsh']}\n"
                f"  gather_command: {tools['rpdcp']}\n")
    env = dict(os.environ, PYTHONPATH=str(hagen_path))
    build = [sys.executable, "-m", "hagen", "build", "--site", str(site), "--out", str(folder / "out"), "-q"]
    subprocess.run(build, check=True, env=env, capture_output=True)
    manifest = json.loads((folder / "out/.hagen/manifest.json").read_text())
    from ClusterShell.NodeSet import NodeSet

    hosts = set()
    for entry in manifest["files"]:
        hosts.update(NodeSet(entry["hosts"]))
    for host in hosts:
        (folder / "hosts" / host).mkdir(parents=True)
    res: dict = {"size": size, "nodes": len(hosts)}
    push = ("push", "--site", site, "--out", folder / "out", "--yes")
    res["first"] = timed(hagen_path, folder, "first", *push)
    res["noop"] = timed(hagen_path, folder, "noop", *push)
    # gather copies every node's files back: at XXL some 210 GB, more than this machine's disk
    need = sum(e.get("size", 0) * len(NodeSet(e["hosts"])) for e in manifest["files"]) * 1.2 + (1 << 30)
    free = shutil.disk_usage(folder).free
    if need > free:
        why = f"skipped: gather would copy {need / 2**30:.0f} GB back, {free / 2**30:.0f} GB free"
        res.update({k: {"skipped": why} for k in ("gather", "dry_run", "diff")})
    else:
        res["gather"] = timed(hagen_path, folder, "gather", "gather", "--site", site, "--out", folder / "out",
                              "--into", folder / "gathered")
        res["dry_run"] = timed(hagen_path, folder, "dry_run", "push", "--site", site, "--out", folder / "out",
                               "--dry-run")
        res["diff"] = timed(hagen_path, folder, "diff", "diff", "--site", site, "--against", folder / "gathered")
    _change_one_address(folder)
    subprocess.run(build, check=True, env=env, capture_output=True)
    res["one_address"] = timed(hagen_path, folder, "one_address", *push)
    shutil.rmtree(folder, ignore_errors=True)
    return res


def _change_one_address(folder: Path) -> None:
    """One compute node's interconnect address, in the middle of the cluster (as run_bench.py)."""
    snap = json.loads((folder / "clusterdb.json").read_text())
    compute = [n for n in snap["tables"]["node"] if n["name"].startswith(("xlc", "xxlc"))]
    node_id = compute[len(compute) // 2]["id"]
    ic = next(n["id"] for n in snap["tables"]["network"] if n["name"] == "interconnect")
    port = next(p for p in snap["tables"]["node_port"] if p["node_id"] == node_id and p["network_id"] == ic)
    port["ipaddr"] = "10.11.255.1"
    (folder / "clusterdb.json").write_text(json.dumps(snap))


def bench_tree(work: Path, hagen_path: Path) -> dict:
    """bas5-guide's 14 nodes through one gateway, then through two levels (gw1, then gw2)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from tree_helpers import Tree, missing_reason

    why = missing_reason()
    if why is not None:
        return {"skipped": why}
    from deploy_helpers import without_shared_files

    nodes = [f"ns{i}" for i in range(14)]
    res = {}
    for label, kwargs in (("one gateway", {}),
                          ("two levels of gateways", {"gateways": ("gw1", "gw2"),
                                                      "routes": ["ADMIN: gw1", "gw1: gw2", "gw2: ns[0-13]"]})):
        folder = work / f"tree-{len(res)}"
        shutil.copytree(HERE.parent / "examples/bas5-guide", folder / "example")
        (folder / "example/fence-password").chmod(0o600)
        site = folder / "example/site.yaml"
        site.write_text(without_shared_files(site.read_text()) + f"\ndeploy:\n  tool: clush\n  command: "
                        f"{shutil.which('clush') or 'clush'}\n  topology: topology.conf\n")
        env = dict(os.environ, PYTHONPATH=str(hagen_path))
        subprocess.run([sys.executable, "-m", "hagen", "build", "--site", str(site), "--out", str(folder / "out"),
                        "-q"], check=True, env=env, capture_output=True)
        tree = Tree(folder / "gw", nodes, **kwargs)
        shutil.copy(tree.topology, folder / "example/topology.conf")
        saved = {k: os.environ.get(k) for k in tree.env()}
        os.environ.update(tree.env())
        tree.start()
        try:
            push = ("push", "--site", site, "--out", folder / "out", "--yes")
            res[label] = {"first": timed(hagen_path, folder, "first", *push),
                          "gather": timed(hagen_path, folder, "gather", "gather", "--site", site, "--out",
                                          folder / "out", "--into", folder / "gathered"),
                          "noop": timed(hagen_path, folder, "noop", *push)}
        finally:
            tree.stop()
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        shutil.rmtree(folder, ignore_errors=True)
    return res


def report(results: list[dict], before: list[dict], tree: dict | None) -> str:
    """The deploy section of RESULTS.md."""
    sizes = [r["size"] for r in results]
    lines = ["## Deploy: push, gather and diff --against against simulated nodes", "",
             "Written by `python3 bench/run_bench.py --deploy` (bench/deploy_bench.py): one run of each real "
             "command line, in the order below, against one folder per node behind bench/simnodes.py (the "
             "fan-out tool: one process per call serving every node). *own* is hagen's wall time less the time "
             "its children (the tool) ran; *tool* is theirs; *calls* the fan-out calls; memory is hagen's own "
             "peak (bench/owntime.py).", ""]
    head = "| operation | target (own, XL) | " + " | ".join(
        f"{r['size']} ({r['nodes']} nodes): own / tool / calls / MB" for r in results)
    if before:
        head += " | " + " | ".join(f"before, {b['size']}: own / tool / calls / MB" for b in before)
    lines += [head + " |", "|---" * (2 + len(results) + len(before)) + "|"]
    for key, label in STEPS:
        target = f"≤ {TARGETS[key]:g} s" if key in TARGETS else ""
        cells = [_cell(r.get(key)) for r in results] + [_cell(b.get(key)) for b in before]
        lines.append(f"| {label} | {target} | " + " | ".join(cells) + " |")
    lines += ["", "### Targets", ""]
    xl = next((r for r in results if r["size"] == "xl"), None)
    if xl:
        for key, label in STEPS:
            if key in TARGETS and "own" in xl.get(key, {}):
                own = xl[key]["own"]
                lines.append(f"- {label} at XL: {own:.2f} s own (target ≤ {TARGETS[key]:g} s): "
                             f"{'met' if own <= TARGETS[key] else '**not met**'}")
        peak = max(xl[k]["peak_mb"] for k, _ in STEPS if "peak_mb" in xl.get(k, {}))
        lines.append(f"- peak memory at XL: {peak:.0f} MB (target ≤ 300 MB): {'met' if peak <= 300 else '**not met**'}")
    xxl = next((r for r in results if r["size"] == "xxl"), None)
    if xl and xxl:
        for key, label in STEPS:
            if "own" in xl.get(key, {}) and "own" in xxl.get(key, {}) and xl[key]["own"] > 0:
                ratio = xxl[key]["own"] / xl[key]["own"]
                lines.append(f"- {label}, XXL ÷ XL (own): {ratio:.1f}× (target ≤ 5×): "
                             f"{'met' if ratio <= 5 else '**not met**'}")
    if tree is not None:
        lines += ["", "### Tree mode (ClusterShell gateways on this machine)", ""]
        if "skipped" in tree:
            lines.append(f"Not run: {tree['skipped']}")
        else:
            lines += ["bas5-guide's 14 nodes, the real clush with `deploy.topology`, sshd on 127.0.0.1 as the "
                      "gateways (tests/tree_helpers.py), each node a private namespace over its folder.", "",
                      "| route | first push: own / tool / calls | gather | no-op push |", "|---|---|---|---|"]
            for label, figures in tree.items():
                lines.append(f"| {label} | " + " | ".join(_cell(figures[k]) for k in ("first", "gather", "noop"))
                             + " |")
    return "\n".join(lines) + "\n"


def _cell(figures: dict | None) -> str:
    if not figures:
        return "–"
    if "skipped" in figures:
        return figures["skipped"]
    return f"{figures['own']:.2f} s / {figures['tool']:.1f} s / {figures['calls']} / {figures['peak_mb']:.0f}"
