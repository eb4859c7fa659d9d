"""Progress on long work: one status line on a terminal, stage timings with --verbose.

The status line is written to stderr only when it is a terminal (so output pipes
cleanly) and is erased when the work ends. NO_COLOR is honoured: hagen prints no
colour at all, and the status line uses no escape other than erasing its own line.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager


class Progress:
    def __init__(self, show: bool = False, verbose: bool = False, stream=None):
        self.stream = stream or sys.stderr
        self.show = show and self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.verbose = verbose
        self.timings: list[tuple[str, float]] = []

    @contextmanager
    def stage(self, name: str):
        if self.show:
            self.stream.write(f"\r\033[Khagen: {name}...")
            self.stream.flush()
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.timings.append((name, elapsed))
            if self.show:
                self.stream.write("\r\033[K")
                self.stream.flush()
            if self.verbose:
                self.stream.write(f"hagen: {name}: {elapsed:.2f} s\n")
                self.stream.flush()


QUIET = Progress()
