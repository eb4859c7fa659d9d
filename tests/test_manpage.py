"""hagen(1): generated from the command line (hagen/cli/manpage.py, docs/hagen.1), rendered by
groff without a warning, naming every command and option, and installed by the package
as share/man/man1/hagen.1 (`man hagen`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib

import pytest

from conftest import REPO
from hagen.cli.manpage import man_page

PAGE = REPO / "docs" / "hagen.1"


def test_the_page_is_generated_from_the_cli_and_current():
    assert PAGE.read_text() == man_page(), "docs/hagen.1 is stale: run python3 -m hagen.cli.docgen"


def test_every_command_and_option_is_in_the_page():
    import typer.main

    from hagen.cli import app

    text = PAGE.read_text().replace("\\-", "-")
    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        subs = command.commands.items() if hasattr(command, "commands") else [(None, command)]
        for sub, cmd in subs:
            title = f"hagen {name}" + (f" {sub}" if sub else "")
            assert f'.SS "{title}"' in text, title
            section = text.split(f'.SS "{title}"', 1)[1].split(".SS", 1)[0]
            for p in cmd.params:
                for opt in p.opts if p.param_type_name == "option" and p.name != "help" else []:
                    assert f"\\fB{opt}\\fR" in section, f"{title}: {opt}"


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_groff_renders_it_without_a_warning():
    proc = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGE)], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    if shutil.which("man"):
        shown = subprocess.run(["man", "-l", str(PAGE)], capture_output=True, text=True, timeout=60,
                               env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin", "MANPAGER": "cat", "PAGER": "cat"})
        assert re.search(r"^COMMANDS$", shown.stdout, re.M) and "hagen audit" in shown.stdout


def test_the_package_installs_it_where_man_looks():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert config["tool"]["setuptools"]["data-files"]["share/man/man1"] == ["docs/hagen.1"]


def _venv_with_setuptools(folder) -> str:
    """The python of a venv whose setuptools builds this pyproject (>= 77: the SPDX license
    string), installed from the package index; the test skips, saying why, when it cannot be."""
    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    python = str(venv / "bin" / "python")
    try:
        proc = subprocess.run([python, "-m", "pip", "install", "-q", "setuptools>=77.0.3"], capture_output=True,
                              text=True, timeout=180)
    except subprocess.TimeoutExpired:
        pytest.skip("setuptools >= 77 could not be installed in a venv within 3 minutes (no package index?)")
    if proc.returncode != 0:
        pytest.skip(f"setuptools >= 77 could not be installed in a venv: {proc.stderr.strip()[-300:]}")
    return python


def test_a_wheel_carries_the_page_and_installs_it_where_man_looks(tmp_path):
    """A real wheel, built by a setuptools that reads this pyproject, installed into a venv:
    the page lands in its share/man/man1, where `man -M PREFIX/share/man hagen` finds it."""
    import zipfile

    import os

    python = _venv_with_setuptools(tmp_path)
    # built from a copy: a build leaves build/ and *.egg-info beside the pyproject; pip runs without
    # the tests' PYTHONPATH, which would show it this checkout as hagen installed already
    source = tmp_path / "src"
    shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(".git", "build", "*.egg-info", "__pycache__",
                                                                "tests", "golden", "examples", "bench"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run([python, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(tmp_path / "dist"), str(source)], capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    wheel, = (tmp_path / "dist").glob("*.whl")
    assert any(n.endswith(".data/data/share/man/man1/hagen.1") for n in zipfile.ZipFile(wheel).namelist())
    proc = subprocess.run([python, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], capture_output=True,
                          text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr
    installed = tmp_path / "venv" / "share" / "man" / "man1" / "hagen.1"
    assert installed.read_bytes() == PAGE.read_bytes()
    if shutil.which("man"):
        shown = subprocess.run(["man", "-M", str(tmp_path / "venv" / "share" / "man"), "hagen"], capture_output=True,
                               text=True, timeout=60, env={"MANWIDTH": "80", "PATH": "/usr/bin:/bin",
                                                           "MANPAGER": "cat", "PAGER": "cat"})
        assert shown.returncode == 0 and "hagen audit" in shown.stdout, shown.stderr
