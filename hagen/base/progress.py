"""Progress on long work: a progress bar on a terminal once a build passes a second,
stage timings with --verbose.

The bar (rich) is drawn on stderr only when it is a terminal, so output pipes cleanly,
and only after DELAY seconds, so a quick build prints nothing but its result; it is
erased when the work ends. NO_COLOR and TERM=dumb are honoured (rich draws no colour;
with TERM=dumb there is no bar at all).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager

DELAY = 1.0            # seconds before the bar appears
BUILD_STAGES = 4       # reading, checking, planning and rendering, writing


class Progress:
    """timer(delay, draw) starts the countdown to the bar (threading.Timer; tests pass one they fire
    themselves, so that no test depends on how fast this machine is)."""

    def __init__(self, show: bool = False, verbose: bool = False, stream=None, total: int = BUILD_STAGES,
                 delay: float = DELAY, timer=threading.Timer):
        self.stream = stream or sys.stderr
        self.show = show and self.stream.isatty() and os.environ.get("TERM") != "dumb"
        self.verbose = verbose
        self.timings: list[tuple[str, float]] = []
        self.total, self.delay = total, delay
        self._lock = threading.Lock()
        self._start_timer = timer
        self._timer = None
        self._bar = self._task = None
        self._current, self._completed, self._closed = "", 0, False

    @contextmanager
    def stage(self, name: str):
        if self.show and self._timer is None and not self._closed:
            self._timer = self._start_timer(self.delay, self._draw)
            self._timer.daemon = True
            self._timer.start()
        with self._lock:
            self._current = name
            if self._bar is not None:
                self._bar.update(self._task, description=name)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.timings.append((name, elapsed))
            with self._lock:
                self._completed += 1
                if self._bar is not None:
                    self._bar.update(self._task, completed=self._completed)
            if self.verbose:
                self._say(f"hagen: {name}: {elapsed:.2f} s")
            if self._completed >= self.total:
                self.close()

    def close(self) -> None:
        """Erase the bar (if it was drawn); no bar appears afterwards."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()
                self._bar = None

    def _draw(self) -> None:
        with self._lock:
            if self._closed or self._bar is not None:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn

            console = Console(file=self.stream, highlight=False)
            self._bar = Bar(TextColumn("hagen: {task.description}"), BarColumn(),
                            TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn(),
                            console=console, transient=True)
            self._task = self._bar.add_task(self._current, total=self.total, completed=self._completed)
            self._bar.start()

    def _say(self, line: str) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.console.print(line, markup=False, highlight=False)
                return
        self.stream.write(line + "\n")
        self.stream.flush()
