#!/usr/bin/env python3
"""How long reading a site spec at its documented limits takes (docs/limits.md): the figure
that keeps the limits and the reading time in agreement. Writes bench/SITE_LIMITS.md.

    python3 bench/site_limits.py [--repeat 3] [--output bench/SITE_LIMITS.md]

Each shape is a valid site spec (examples/bas5-guide/site.yaml plus hosts.extra entries or
comments) grown to one limit (values, bytes) while within the others, read by `load_site`
(the YAML parser with positions, the limits' walk, the schema) in a fresh interpreter; the
figure is the median of --repeat runs. Nothing asserts it: tests never assert on time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# the process's CPU time, and the wall-clock time: on shared cores the first is the figure
READ = ("import sys, time; from hagen.load.site import load_site; t, c = time.perf_counter(), time.process_time(); "
        "load_site(sys.argv[1]); print(time.process_time() - c, time.perf_counter() - t)")


def _values(node) -> int:
    if isinstance(node, dict):
        return 1 + sum(_values(v) for v in node.values())
    if isinstance(node, list):
        return 1 + sum(_values(v) for v in node)
    return 1


def shapes(base: str) -> dict[str, str]:
    """name -> a site spec's text at one limit of hagen.load.limits.SITE."""
    import yaml

    from hagen.load.limits import SITE

    room = SITE.max_values - _values(yaml.safe_load(base)) - 3      # hosts, extra and the list
    flow = [f"  - {{address: 10.9.{i // 250}.{i % 250 + 1}, names: [x{i}]}}" for i in range(room // 4)]
    block = [line for i in range(room // 4) for line in
             (f"  - address: 10.9.{i // 250}.{i % 250 + 1}", "    names:", f"    - x{i}")]
    long_name = "a" * (SITE.max_string - 8)
    strings, size = [], len(base)
    while size + SITE.max_string + 60 < SITE.max_bytes:
        strings.append(f"  - {{address: 10.9.0.{len(strings) % 250 + 1}, names: [{long_name}{len(strings):06d}]}}")
        size += len(strings[-1]) + 1
    comment = "# " + "c" * 1000 + "\n"
    return {
        f"{SITE.max_values:,} values, flow style": base + "\nhosts:\n  extra:\n" + "\n".join(flow) + "\n",
        f"{SITE.max_values:,} values, block style": base + "\nhosts:\n  extra:\n" + "\n".join(block) + "\n",
        f"{SITE.max_bytes >> 20} MiB of {SITE.max_string}-character strings": base + "\nhosts:\n  extra:\n"
        + "\n".join(strings) + "\n",
        f"{SITE.max_bytes >> 20} MiB of comments": base + comment * ((SITE.max_bytes - len(base)) // len(comment)),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "SITE_LIMITS.md")
    args = parser.parse_args(argv)
    example = ROOT / "examples" / "bas5-guide"
    rows = []
    with tempfile.TemporaryDirectory(prefix="hagen-site-limits-") as tmp:
        for name in ("clusterdb.yaml", "fence-password"):
            (Path(tmp) / name).write_bytes((example / name).read_bytes())
        os.chmod(Path(tmp) / "fence-password", 0o600)
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        for shape, text in shapes((example / "site.yaml").read_text()).items():
            site = Path(tmp) / "site.yaml"
            site.write_text(text)
            runs = [subprocess.run([sys.executable, "-c", READ, str(site)], env=env, check=True,
                                   capture_output=True, text=True).stdout.split() for _ in range(args.repeat)]
            cpu, wall = (statistics.median(float(r[i]) for r in runs) for i in (0, 1))
            rows.append((shape, len(text.encode()), cpu, wall))
            print(f"{shape}: {cpu:.2f} s of CPU, {wall:.2f} s", flush=True)
    load = os.getloadavg()[0]
    lines = ["# Reading a site spec at its limits", "",
             "Written by `python3 bench/site_limits.py` (median of "
             f"{args.repeat} runs of `load_site` in a fresh interpreter; the limits: docs/limits.md).", "",
             f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, load average {load:.1f} "
             "when measured (other work shares the cores: the wall-clock figures are upper bounds).", "",
             "| site spec | size | reading time (CPU) | reading time (wall clock) |", "|---|---|---|---|"]
    lines += [f"| {shape} | {size / 1024:,.0f} KiB | {cpu:.2f} s | {wall:.2f} s |" for shape, size, cpu, wall in rows]
    args.output.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
