"""The hagen command line: a thin typer front end over hagen's library.

hagen.cli.common holds the app, the shared options and the one place (`_run`) where
hagen's exceptions become messages and exit codes: 0 success, 2 input refused, 3
database or I/O trouble. Each command group lives in a module of its own, which
registers its commands on import.
"""

from hagen.cli.common import app
# importing registers the commands; --help lists them in this order, the order of the work:
# draft, check and build, compare and deploy, audit, inspect, the database
from hagen.cli import init, build, deploy, gather, audit, inspect, db  # noqa: F401,I001


def _reflowed(doc: str) -> str:
    """A docstring as help text: each paragraph on one line, for the help to wrap it at the
    terminal's width (hard-wrapped at 80, it printed ragged); indented lines (examples) kept."""
    import inspect

    paragraphs = []
    for block in inspect.cleandoc(doc).split("\n\n"):
        lines = block.splitlines()
        if any(line.startswith(" ") for line in lines):
            paragraphs.append(block)
        else:
            paragraphs.append(" ".join(line.strip() for line in lines))
    return "\n\n".join(paragraphs)


def _reflow_help() -> None:
    from hagen.cli.common import db_app

    for group in (app, db_app):
        for command in group.registered_commands:
            if command.help is None and command.callback is not None and command.callback.__doc__:
                command.help = _reflowed(command.callback.__doc__)


_reflow_help()


def main():
    import gc

    # a command is one short process whose objects (rows, model, plan, manifests) mostly
    # live until it exits: the cycle collector, at its default thresholds, scans them over
    # and over as they pile up; a hundred times less often costs no memory to speak of
    gc.set_threshold(70_000, *gc.get_threshold()[1:])
    try:
        app()
        code = 0
    except SystemExit as exc:
        code = exc.code
    _leave(code)


def _leave(code) -> None:
    """End the process at once, its output flushed: the objects of a build die with it. Freed
    one by one, as Python does at exit, they cost 0.15 s at 10,000 nodes, a quarter of a no-op.
    Every file hagen writes is closed (and renamed into place) before the command returns."""
    import os
    import sys

    if code is None:
        code = 0
    elif not isinstance(code, int):      # sys.exit("message"): Python prints it and exits 1
        print(code, file=sys.stderr)
        code = 1
    if sys.getprofile() is not None or sys.gettrace() is not None:
        sys.exit(code)                   # cProfile, coverage: they write what they found at exit
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):    # a closed pipe (hagen diff | head): nothing more to say
            pass
    os._exit(code)
