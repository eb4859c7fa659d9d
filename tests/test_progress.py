"""Progress: a bar on a terminal once the work passes its delay, nothing otherwise; --verbose timings.

The countdown to the bar is a timer the test fires itself (ManualTimer): whether a bar is
drawn never depends on how fast the machine runs the stages."""

from __future__ import annotations

import io

from hagen.base.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


class ManualTimer:
    """threading.Timer's interface; fire() plays the delay running out, unless cancelled first."""
    made: list[ManualTimer] = []

    def __init__(self, delay, action):
        self.delay, self.action, self.cancelled, self.started = delay, action, False, False
        ManualTimer.made.append(self)

    def start(self):
        self.started = True

    def cancel(self):
        self.cancelled = True

    def fire(self):
        if self.started and not self.cancelled:
            self.action()


def _run(progress, stages=("reading", "checking", "planning", "writing"), during=None):
    for n, name in enumerate(stages):
        with progress.stage(name):
            if during is not None:
                during(n)


def test_a_quick_build_draws_nothing():
    screen = Terminal()
    progress = Progress(show=True, stream=screen, delay=60, timer=ManualTimer)
    _run(progress)                                      # the work ends before the delay ran out
    ManualTimer.made[-1].fire()                         # a timer firing late draws nothing
    assert screen.getvalue() == ""


def test_a_long_build_draws_a_bar_then_erases_it():
    screen = Terminal()
    progress = Progress(show=True, stream=screen, delay=1.0, timer=ManualTimer)
    drawn = []

    def delay_runs_out_in_the_second_stage(n):
        if n == 1:
            ManualTimer.made[-1].fire()
            drawn.append(progress._bar is not None)
    _run(progress, during=delay_runs_out_in_the_second_stage)
    text = screen.getvalue()
    assert drawn == [True]
    assert "hagen: " in text and "/4" in text          # the stage and how many are done
    assert text.endswith("\x1b[2K")                     # erased when the work ended
    assert progress._bar is None


def test_verbose_prints_each_stage_time_and_a_pipe_gets_no_bar():
    pipe = io.StringIO()                                # not a terminal
    progress = Progress(show=True, verbose=True, stream=pipe, delay=0.0, timer=ManualTimer)
    _run(progress)
    lines = pipe.getvalue().splitlines()
    assert [ln.split(":")[1].strip() for ln in lines] == ["reading", "checking", "planning", "writing"]
    assert "\x1b" not in pipe.getvalue()


def test_a_failed_build_leaves_no_bar():
    screen = Terminal()
    progress = Progress(show=True, stream=screen, delay=0.05, timer=ManualTimer)
    try:
        with progress.stage("reading"):
            raise ValueError("refused")
    except ValueError:
        progress.close()
    ManualTimer.made[-1].fire()                         # the delay runs out after the failure
    assert screen.getvalue() == ""


def test_each_progress_keeps_its_own_timings():
    first, second = Progress(), Progress()
    _run(first, stages=("reading",))
    assert [name for name, _ in first.timings] == ["reading"] and second.timings == []
