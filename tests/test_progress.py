"""Progress: a bar on a terminal once the work passes its delay, nothing otherwise; --verbose timings."""

from __future__ import annotations

import io
import time

from hagen.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _run(progress, stages=("reading", "checking", "planning", "writing"), pause=0.0):
    for name in stages:
        with progress.stage(name):
            time.sleep(pause)


def test_a_quick_build_draws_nothing():
    screen = Terminal()
    _run(Progress(show=True, stream=screen, delay=60))
    assert screen.getvalue() == ""


def test_a_long_build_draws_a_bar_then_erases_it():
    screen = Terminal()
    progress = Progress(show=True, stream=screen, delay=0.01)
    _run(progress, pause=0.2)
    text = screen.getvalue()
    assert "hagen: " in text and "/4" in text          # the stage and how many are done
    assert text.endswith("\x1b[2K")                     # erased when the work ended
    assert progress._bar is None


def test_verbose_prints_each_stage_time_and_a_pipe_gets_no_bar():
    pipe = io.StringIO()                                # not a terminal
    progress = Progress(show=True, verbose=True, stream=pipe, delay=0.0)
    _run(progress)
    lines = pipe.getvalue().splitlines()
    assert [ln.split(":")[1].strip() for ln in lines] == ["reading", "checking", "planning", "writing"]
    assert "\x1b" not in pipe.getvalue()


def test_a_failed_build_leaves_no_bar():
    screen = Terminal()
    progress = Progress(show=True, stream=screen, delay=0.05)
    try:
        with progress.stage("reading"):
            raise ValueError("refused")
    except ValueError:
        progress.close()
    time.sleep(0.1)
    assert screen.getvalue() == ""
