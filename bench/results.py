"""RESULTS.md from bench/run_bench.py's measurements: the table, each figure beside its
target, and the verdicts. Nothing is measured here."""

from __future__ import annotations

# figure, key, target text, (size the target is for, limit in the figure's unit), how it is shown
ROWS = [
    ("cold full build from PostgreSQL", "cold_pg", "≤ 1.5× cp -a", None, "s"),
    ("· reading the site spec and the ClusterDB (`-v`)", "stage_read", "≤ 0.5 s (XL)", ("xl", 0.5), "s"),
    ("· checking (`-v`)", "stage_check", "≤ 0.5 s (XL)", ("xl", 0.5), "s"),
    ("· planning and rendering (`-v`)", "stage_plan_render", "≤ 0.5 s (XL)", ("xl", 0.5), "s"),
    ("· writing the output tree (`-v`)", "stage_write", "", None, "s"),
    ("no-op rebuild from PostgreSQL", "noop_pg", "≤ 1 s (XL)", ("xl", 1.0), "s"),
    ("hagen diff, unchanged tree, from PostgreSQL", "diff_pg", "≤ 1 s (XL)", ("xl", 1.0), "s"),
    ("one node changed in PostgreSQL: hagen diff", "one_node_diff_pg", "≤ 2 s (XL)", ("xl", 2.0), "s"),
    ("one node changed in PostgreSQL: rebuild", "one_node_pg", "≤ 0.25× cold build", None, "s"),
    ("· of which reading, checking, planning and rendering (`-v`)", "one_node_pg_compile", "", None, "s"),
    ("· the rebuild less those (`-v`)", "one_node_pg_less_compile", "", None, "s"),
    ("cold full build from the snapshot", "cold_snapshot", "", None, "s"),
    ("no-op rebuild from the snapshot", "noop", "≤ 1 s (XL)", ("xl", 1.0), "s"),
    ("hagen diff, unchanged tree, from the snapshot", "diff", "≤ 1 s (XL)", ("xl", 1.0), "s"),
    ("rebuild after one node changed in the snapshot", "one_node", "", None, "s"),
    ("cp -a of the finished tree (the floor)", "cp_a", "", None, "s"),
    ("peak memory of a build (snapshot)", "peak_mb", "≤ 300 MB (XL), ≤ 1 GB (XXL)", None, "MB"),
    ("peak memory of a build (PostgreSQL)", "peak_mb_pg", "≤ 300 MB (XL), ≤ 1 GB (XXL)", None, "MB"),
]
MEMORY = {"xl": 300, "xxl": 1024}


def _over_floor(r):
    """The median of each cold build's time over the cp -a that followed it (the one before
    this script paired them: the ratio of the medians)."""
    return r.get("cold_pg_over_cp_a", ratio(r.get("cold_pg"), r.get("cp_a")))


def ratio(a, b):
    return None if a is None or b is None or not b else a / b


def report(results, repeat, machine_text, startup=None) -> str:
    def show(v, unit):
        if v is None:
            return "–"
        return f"{v:.0f} MB" if unit == "MB" else f"{v:.2f} s" if unit == "s" else f"{v:.2f}×"

    by_size = {r["size"]: r for r in results}
    lines = ["# Benchmark results", "",
             f"Written by `python3 bench/run_bench.py` (median of {repeat} runs of the real command line, process "
             "start-up included; every ratio is between figures of this one run).", "",
             f"Machine: {machine_text}.", "",
             "| figure | target | " + " | ".join(f"{r['size']} ({r['nodes']} nodes, {r['files']} files)"
                                                  for r in results) + " |",
             "|---|---|" + "---|" * len(results)]
    for label, key, target, _, unit in ROWS:
        lines.append(f"| {label} | {target} | " + " | ".join(show(r.get(key), unit) for r in results) + " |")
    ratios = [("cold build from PostgreSQL ÷ cp -a", "≤ 1.5×", lambda r: _over_floor(r)),
              ("one-node rebuild ÷ cold build, from PostgreSQL", "≤ 0.25×",
               lambda r: ratio(r.get("one_node_pg"), r.get("cold_pg"))),
              ("· the one-node rebuild less its compile ÷ cold build", "",
               lambda r: ratio(r.get("one_node_pg_less_compile"), r.get("cold_pg")))]
    for label, target, fn in ratios:
        lines.append(f"| {label} | {target} | " + " | ".join(show(fn(r), "×") for r in results) + " |")

    verdicts = []

    def verdict(what, value, limit, unit=""):
        if value is None:
            verdicts.append(f"- {what}: not measured")
            return
        met = value <= limit
        text = f"{value:.2f}{unit}" if unit != " MB" else f"{value:.0f} MB"
        verdicts.append(f"- {what}: {text} (target ≤ {limit}{unit}): " + ("met" if met else "**not met**"))

    for label, key, _, scope, unit in ROWS:
        if scope and scope[0] in by_size:
            what = label.removeprefix("· ").replace(" (`-v`)", "")
            verdict(f"{what} at {scope[0].upper()}", by_size[scope[0]].get(key), scope[1], " s")
    for r in results:
        verdict(f"cold build from PostgreSQL ÷ cp -a at {r['size']}", _over_floor(r), 1.5, "×")
        if r["full"]:
            verdict(f"one-node rebuild ÷ cold build at {r['size']}", ratio(r.get("one_node_pg"), r.get("cold_pg")),
                    0.25, "×")
        if r["size"] in MEMORY:
            verdict(f"peak memory at {r['size'].upper()}", max(filter(None, (r.get("peak_mb"), r.get("peak_mb_pg")))),
                    MEMORY[r["size"]], " MB")
    for small, big, limit in (("half", "xl", 2.1), ("xl", "xxl", 5.5)):
        if small in by_size and big in by_size:
            for key, source in (("cold_pg", "PostgreSQL"), ("cold_snapshot", "the snapshot")):
                verdict(f"cold build from {source}, {big.upper()} ÷ {small}",
                        ratio(by_size[big].get(key), by_size[small].get(key)), limit, "×")
    summaries = [f"- {r['size']}: `{r['one_node_diff_summary']}`" for r in results if r.get("one_node_diff_summary")]
    lines += ["", "## Targets", "", *verdicts]
    if summaries:
        lines += ["", "`hagen diff` after the one-node change said:", "", *summaries]
    lines += ["", "## Reading these figures", "",
              "- Every figure includes starting Python and importing hagen: "
              + (f"{startup:.2f} s here (those imports alone, median of 5)." if startup is not None else "not measured."),
              "- The stage lines are `hagen build -v`'s own timings of the cold builds from PostgreSQL.",
              "- A no-op rebuild and `hagen diff` of an unchanged tree compare a fingerprint of the inputs with",
              "  the one the tree was built from, and stat the tree against its manifest (hagen.compile.uptodate).",
              "  From a snapshot the fingerprint digests its bytes; from PostgreSQL the server digests the",
              "  rows hagen reads in one query (md5 of the sorted md5s of each row, per table): no row is",
              "  read, checked or rendered.",
              "- The one-node change sets one compute node's interconnect address through SQL (it changes",
              "  /etc/hosts on every node); it goes back and forth between runs, so that every rebuild",
              "  follows a one-node change. The rebuild runs with `-v`: its own stage timings say what",
              "  the compile took, and the rebuild less the compile is what no incremental compile could",
              "  save (start-up, the verdict, the apply of the changed files, the manifest).",
              "- `cp -a` is the floor of a cold build: the same tree's folders, files and links, made by",
              "  the file system alone. On this machine's file system that floor swings from run to run,",
              "  so each cold build from PostgreSQL is followed by `cp -a` of the tree it made, and the",
              "  ratio is the median of those pairs' ratios.",
              "- Sizes named in --cold-only (XXL by default) are measured by their cold builds and memory only."]
    for r in results:
        if r.get("pg_error"):
            lines.append(f"\nPostgreSQL was not reachable for {r['size']}: {r['pg_error']}")
    return "\n".join(lines) + "\n"
