"""The one way tests run hagen's command line.

cli() runs it in this process (ClusterShell's CLI_main style: the typer app with click's
runner, stdout and stderr kept apart), the default everywhere a child process adds
nothing. run_hagen() runs `python -m hagen` in a child process of the running
interpreter, for what only a real process shows: signals and kill points, the module
entry, exit statuses as the shell sees them.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from dataclasses import dataclass


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _runner():
    from typer.testing import CliRunner

    try:
        return CliRunner(mix_stderr=False)     # click < 8.2 mixes them unless told
    except TypeError:
        return CliRunner()                     # click >= 8.2 keeps them apart


def cli(*args, env=None, input=None, cwd=None) -> Result:
    """hagen ARGS in this process; env entries are set (None: unset) for the call only."""
    from hagen.cli import app

    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        result = _runner().invoke(app, [str(a) for a in args], env=env, input=input)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Result(result.exit_code, result.stdout, result.stderr)


def run_hagen(*args, cwd=None, env=None, input=None) -> Result:
    """hagen ARGS in a child process of this interpreter, as an administrator would run it."""
    proc = subprocess.run([sys.executable, "-m", "hagen", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, input=input, timeout=300)
    return Result(proc.returncode, proc.stdout, proc.stderr)

