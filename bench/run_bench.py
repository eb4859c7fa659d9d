#!/usr/bin/env python3
"""Measure hagen at scale and write bench/RESULTS.md.

    python3 bench/run_bench.py                              # half, XL and XXL (needs PostgreSQL on localhost)
    python3 bench/run_bench.py --sizes small --cold-only '' --output /tmp/r.md   # a quick check of this script
    python3 bench/run_bench.py --deploy --sizes half,xl,xxl [--before CHECKOUT]  # push, gather, diff --against

For each size: a cold full build from PostgreSQL (with `-v`'s time of each stage) and
from the snapshot, the peak memory of a build, and the floor: `cp -a` of the same
finished tree. For the sizes not in --cold-only (XXL by default, whose point is room to
grow): the no-op rebuild and `hagen diff` of an unchanged tree, from PostgreSQL and from
the snapshot, and the administrator's loop from PostgreSQL: one node's interconnect
address changed through SQL, then `hagen diff` and the rebuild. Each figure is the
median of --repeat runs of the real command line, and every ratio is taken between
figures of this one run. Targets are stated beside each figure in RESULTS.md; nothing
here asserts them (tests never assert on time).

With --deploy: push, gather and diff --against against simulated nodes, and a push and
a gather through ClusterShell gateways (bench/deploy_bench.py); that part of RESULTS.md
is replaced, the rest kept (and a build run keeps the deploy part).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from results import report      # bench/results.py: RESULTS.md from the figures measured here

HERE = Path(__file__).resolve().parent
PG = os.environ.get("HAGEN_BENCH_PG", "postgresql://postgres@localhost:5432/postgres")
STAGE = re.compile(r"^hagen: (.+): ([0-9.]+) s$")
# what a build imports (hagen imports lazily: `hagen --version` alone imports a tenth of it)
STARTUP = ("import hagen.cli, hagen.compile.pipeline, hagen.compile.uptodate, hagen.load.clusterdb, hagen.load.site, hagen.model.build, "
           "hagen.check, hagen.plan, hagen.render, hagen.emit.commit, jsonschema, psycopg, lxml.etree, jinja2")
STAGES = {"reading the site spec and the ClusterDB": "read", "checking": "check",
          "planning and rendering": "plan_render", "writing the output tree": "write"}


def run(argv, ok=(0,)) -> tuple[float, int, str, str]:
    """Wall time, peak RSS (kB), stdout and stderr (without time's own line) of one command."""
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *map(str, argv)], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    if proc.returncode not in ok:
        sys.exit(f"failed ({proc.returncode}): {' '.join(map(str, argv))}\n{proc.stdout}\n{proc.stderr}")
    lines = proc.stderr.strip().splitlines()
    return elapsed, int(lines[-1]), proc.stdout, "\n".join(lines[:-1])


def hagen(*args):
    return [sys.executable, "-m", "hagen", *map(str, args)]


def median(values):
    return statistics.median(values) if values else None


def fresh(out: Path):
    """No tree at out: the previous one is moved aside, and deleted with its size's folder
    after the measurements (deleting 70,000 entries just before a timed run slows the run
    on a disk whose writes are metered, and would weigh on the builds and not on cp -a)."""
    aside(out.parent / f".{out.name}.d")
    if out.is_symlink():
        out.unlink()
    aside(out)
    settle()


def aside(path: Path):
    if path.exists() or path.is_symlink():
        trash = path.parent / "trash"
        trash.mkdir(exist_ok=True)
        path.rename(trash / uuid.uuid4().hex)


def settle():
    """Let the file system finish the previous run's deletions before timing the next one."""
    os.sync()
    time.sleep(1)


def database(sql: Path):
    import psycopg

    name = f"hagen_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = psycopg.conninfo.make_conninfo(PG, dbname=name)
    for script in (HERE.parent / "schemas/clusterdb.sql", sql):
        subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-d", dsn, "-f", str(script)], check=True,
                       capture_output=True)
    return name, dsn


def drop(name):
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sql(dsn: str, statement: str):
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(statement)


def stages_of(stderr: str) -> dict:
    found = {}
    for line in stderr.splitlines():
        m = STAGE.match(line)
        if m and m.group(1) in STAGES:
            found[STAGES[m.group(1)]] = float(m.group(2))
    return found


def changed_port(snap: dict) -> tuple[int, str, str]:
    """A compute node's interconnect port in the middle of the cluster: its id, its address, another."""
    compute = [n for n in snap["tables"]["node"] if n["name"].startswith("xlc")]
    node_id = compute[len(compute) // 2]["id"]
    ic = next(n["id"] for n in snap["tables"]["network"] if n["name"] == "interconnect")
    port = next(p for p in snap["tables"]["node_port"] if p["node_id"] == node_id and p["network_id"] == ic)
    return port["id"], port["ipaddr"], "10.11.255.1"


def bench_size(size: str, repeat: int, work: Path, full: bool) -> dict:
    folder = work / size
    subprocess.run([sys.executable, str(HERE / "gen_cluster.py"), "--size", size, "-o", str(folder)], check=True,
                   capture_output=True)
    site = folder / "site.yaml"
    out = folder / "out"
    snap = json.loads((folder / "clusterdb.json").read_text())
    res: dict = {"size": size, "nodes": len(snap["tables"]["node"]), "full": full}

    times, rss = [], []
    for _ in range(repeat):
        fresh(out)
        t, m, _, _ = run(hagen("build", "--site", site, "--out", out, "-q"))
        times.append(t)
        rss.append(m)
    res["cold_snapshot"] = median(times)
    res["peak_mb"] = max(rss) / 1024
    manifest = json.loads((out / ".hagen/manifest.json").read_text())
    from ClusterShell.NodeSet import NodeSet

    res["files"] = sum(len(NodeSet(e["hosts"])) for e in manifest["files"])

    try:
        name, dsn = database(folder / "clusterdb.sql")
    except Exception as exc:  # no PostgreSQL here: say so in the results
        res["pg_error"] = str(exc).splitlines()[0]
    else:
        try:
            bench_postgresql(res, site, out, dsn, repeat, full, changed_port(snap))
        finally:
            drop(name)

    if full:
        fresh(out)
        run(hagen("build", "--site", site, "--out", out, "-q"))
        res["noop"] = median([run(hagen("build", "--site", site, "--out", out, "-q"))[0] for _ in range(repeat)])
        res["diff"] = median([run(hagen("diff", "--site", site, "--against", out))[0] for _ in range(repeat)])
        bench_one_node_snapshot(res, folder, site, out, snap, repeat)

    if "cp_a" not in res:            # no PostgreSQL: the floor alone
        res["cp_a"] = median([copy_time(out) for _ in range(repeat)])
    shutil.rmtree(folder, ignore_errors=True)
    return res


def copy_time(out: Path) -> float:
    """cp -a of the finished tree (the floor), into a folder beside it, moved aside after."""
    dest = out.parent / "copy"
    aside(dest)
    settle()
    t = time.perf_counter()
    subprocess.run(["cp", "-a", str(out.resolve()), str(dest)], check=True)
    elapsed = time.perf_counter() - t
    aside(dest)
    return elapsed


def bench_postgresql(res: dict, site: Path, out: Path, dsn: str, repeat: int, full: bool, port) -> None:
    # each cold build is followed by cp -a of the tree it made: the file system of a shared
    # machine swings between calm and busy within minutes, and the pairs see the same swings
    times, rss, stages, copies = [], [], [], []
    for _ in range(repeat):
        fresh(out)
        t, m, _, err = run(hagen("build", "--site", site, "--out", out, "-v", "--db", dsn))
        times.append(t)
        rss.append(m)
        stages.append(stages_of(err))
        copies.append(copy_time(out))
    res["cold_pg"] = median(times)
    res["cp_a"] = median(copies)
    res["cold_pg_over_cp_a"] = median([a / b for a, b in zip(times, copies)])
    res["peak_mb_pg"] = max(rss) / 1024
    for key in STAGES.values():
        res[f"stage_{key}"] = median([s[key] for s in stages if key in s])
    if not full:
        return
    res["noop_pg"] = median([run(hagen("build", "--site", site, "--out", out, "-q", "--db", dsn))[0]
                             for _ in range(repeat)])
    res["diff_pg"] = median([run(hagen("diff", "--site", site, "--against", out, "--db", dsn))[0]
                             for _ in range(repeat)])
    # the administrator's loop: one value changed through SQL, then diff, then the rebuild;
    # the address goes back and forth, so that every rebuild follows a one-node change
    port_id, original, other = port
    diffs, rebuilds, compiles = [], [], []
    for i in range(repeat):
        sql(dsn, f"UPDATE node_port SET ipaddr = '{other if i % 2 == 0 else original}' WHERE id = {port_id}")
        settle()
        t, _, stdout, _ = run(hagen("diff", "--site", site, "--against", out, "--db", dsn), ok=(1,))
        diffs.append(t)
        res["one_node_diff_summary"] = stdout.splitlines()[0].replace(str(out), "out") if stdout else ""
        settle()
        t, _, _, err = run(hagen("build", "--site", site, "--out", out, "-v", "--db", dsn))
        rebuilds.append(t)
        stages = stages_of(err)
        compiles.append(sum(stages.get(k, 0.0) for k in ("read", "check", "plan_render")))
    res["one_node_diff_pg"] = median(diffs)
    res["one_node_pg"] = median(rebuilds)
    # what an incremental compile could save at most: the rebuild less its read, check, plan and render
    res["one_node_pg_compile"] = median(compiles)
    res["one_node_pg_less_compile"] = median([a - b for a, b in zip(rebuilds, compiles)])


def bench_one_node_snapshot(res: dict, folder: Path, site: Path, out: Path, snap: dict, repeat: int) -> None:
    changed = folder / "changed"
    changed.mkdir(exist_ok=True)
    for f in ("site.yaml", "fence-password"):
        shutil.copy2(folder / f, changed / f)
    port_id, _, other = changed_port(snap)
    next(p for p in snap["tables"]["node_port"] if p["id"] == port_id)["ipaddr"] = other
    (changed / "clusterdb.json").write_text(json.dumps(snap))
    times = []
    for _ in range(repeat):
        run(hagen("build", "--site", site, "--out", out, "-q"))
        settle()
        times.append(run(hagen("build", "--site", changed / "site.yaml", "--out", out, "-q"))[0])
    res["one_node"] = median(times)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}, {platform.system()} {platform.release()}"


DEPLOY = "## Deploy:"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="half,xl,xxl", help="named sizes of bench/gen_cluster.py, smallest first")
    p.add_argument("--cold-only", default="xxl", help="of those, the sizes measured by cold builds and memory only")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--output", default=str(HERE / "RESULTS.md"))
    p.add_argument("--deploy", action="store_true", help="measure push, gather and diff --against against "
                   "simulated nodes instead of the builds (bench/deploy_bench.py); RESULTS.md's other part is kept")
    p.add_argument("--before", metavar="CHECKOUT", help="with --deploy: also measure the hagen of this checkout "
                   "(e.g. `git archive` of an older commit), at --before-sizes")
    p.add_argument("--before-sizes", default="xl")
    p.add_argument("--no-tree", action="store_true", help="with --deploy: skip the run through gateways")
    args = p.parse_args()
    if args.deploy:
        return deploy(args)
    cold_only = set(filter(None, args.cold_only.split(",")))
    results = []
    # the fixed cost of every figure: Python started, hagen and the libraries a build uses imported
    startup = median([run([sys.executable, "-c", STARTUP])[0] for _ in range(5)])
    with tempfile.TemporaryDirectory(prefix="hagen-bench-") as tmp:
        for size in args.sizes.split(","):
            print(f"measuring {size} ...", file=sys.stderr)
            results.append(bench_size(size, args.repeat, Path(tmp), size not in cold_only))
            print(json.dumps(results[-1]), file=sys.stderr)
    text = report(results, args.repeat, machine(), startup)
    old = Path(args.output).read_text() if Path(args.output).exists() else ""
    if DEPLOY in old:                  # the deploy figures are measured apart: kept
        text += "\n" + old[old.index(DEPLOY):]
    Path(args.output).write_text(text)
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


def deploy(args) -> int:
    import deploy_bench

    checkout = HERE.parent
    results, before, tree = [], [], None
    with tempfile.TemporaryDirectory(prefix="hagen-bench-") as tmp:
        for size in args.sizes.split(","):
            print(f"deploy at {size} ...", file=sys.stderr)
            results.append(deploy_bench.bench_deploy(size, Path(tmp), checkout))
            print(json.dumps(results[-1]), file=sys.stderr)
        if args.before:
            for size in args.before_sizes.split(","):
                print(f"deploy at {size}, before ...", file=sys.stderr)
                before.append(deploy_bench.bench_deploy(size, Path(tmp), Path(args.before).resolve()))
                print(json.dumps(before[-1]), file=sys.stderr)
        if not args.no_tree:
            print("tree mode ...", file=sys.stderr)
            tree = deploy_bench.bench_tree(Path(tmp), checkout)
            print(json.dumps(tree), file=sys.stderr)
    old = Path(args.output).read_text() if Path(args.output).exists() else "# Benchmark results\n"
    head = old[:old.index(DEPLOY)] if DEPLOY in old else old + "\n"
    Path(args.output).write_text(head + deploy_bench.report(results, before, tree))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
