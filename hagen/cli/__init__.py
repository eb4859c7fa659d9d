"""The hagen command line: a thin typer front end over hagen's library.

hagen.cli.common holds the app, the shared options and the one place (`_run`) where
hagen's exceptions become messages and exit codes: 0 success, 2 input refused, 3
database or I/O trouble. Each command group lives in a module of its own, which
registers its commands on import.
"""

from hagen.cli.common import app
from hagen.cli import audit, build, db, deploy, gather, init, inspect  # noqa: F401  (importing registers their commands)


def main():
    app()
