"""The command line in-process: click's runner, stdout and stderr kept apart."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner


@dataclass
class Ran:
    code: int
    stdout: str
    stderr: str


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)     # click < 8.2 mixes them unless told
    except TypeError:
        return CliRunner()                     # click >= 8.2 keeps them apart


def invoke(*args, env=None) -> Ran:
    from hagen.cli import app

    result = _runner().invoke(app, [str(a) for a in args], env=env)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)
