#!/usr/bin/env python3
"""Run one hagen command line and say how its time divides: hagen's own, and the fan-out
tool's (every child process, from its start to the moment hagen has reaped it).

    python3 bench/owntime.py REPORT.json [--profile FILE] -- push --site S --out O --yes

writes {"wall", "tool", "own", "calls", "peak_mb", "status"} to REPORT.json: wall from
before hagen's import to its exit, peak_mb hagen's own peak memory (children excluded).
The calls hagen makes are sequential, so the tool's intervals never overlap.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

START = time.perf_counter()
TOOL = {"seconds": 0.0, "calls": 0}


class TimedPopen(subprocess.Popen):
    def __init__(self, *args, **kwargs):
        self._hagen_started = time.perf_counter()
        self._hagen_counted = False
        super().__init__(*args, **kwargs)

    def wait(self, timeout=None):
        code = super().wait(timeout)
        if not self._hagen_counted:
            self._hagen_counted = True
            TOOL["seconds"] += time.perf_counter() - self._hagen_started
            TOOL["calls"] += 1
        return code


def main() -> int:
    report, rest = sys.argv[1], sys.argv[2:]
    profile = None
    if rest[:1] == ["--profile"]:
        profile, rest = rest[1], rest[2:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    subprocess.Popen = TimedPopen
    sys.argv = ["hagen", *rest]
    status = 0
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    try:
        import gc

        gc.set_threshold(70_000, *gc.get_threshold()[1:])      # as hagen.cli.main does
        from hagen.cli import app

        app()       # not hagen.cli.main: it leaves by os._exit, before this report is written
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        wall = time.perf_counter() - START
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        with open(report, "w") as f:
            json.dump({"wall": wall, "tool": TOOL["seconds"], "own": wall - TOOL["seconds"],
                       "calls": TOOL["calls"], "peak_mb": peak, "status": status}, f)
    return status


if __name__ == "__main__":
    sys.exit(main())
