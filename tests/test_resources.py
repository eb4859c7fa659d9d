"""Templates and schemas come from the package itself, never from a stray folder beside it."""

from __future__ import annotations

from conftest import REPO
from hagen.base.resources import _find, checkout, schemas_dir, templates_dir


def _package(root, pyproject=None):
    package = root / "hagen"
    (package / "_templates").mkdir(parents=True)
    (root / "templates").mkdir()          # what another distribution may leave in site-packages
    if pyproject is not None:
        (root / "pyproject.toml").write_text(pyproject)
    return package


def test_in_site_packages_the_packaged_copy_is_used(tmp_path):
    package = _package(tmp_path / "site-packages")
    assert checkout(package) is None
    assert _find("templates", "_templates", package) == package / "_templates"


def test_a_pyproject_of_another_project_is_no_checkout(tmp_path):
    package = _package(tmp_path, '[project]\nname = "hagen-tools"\n')
    assert _find("templates", "_templates", package) == package / "_templates"


def test_in_a_checkout_the_top_level_folders_are_used(tmp_path):
    package = _package(tmp_path, '[project]\nname = "hagen"\nversion = "0"\n')
    assert _find("templates", "_templates", package) == tmp_path / "templates"


def test_this_checkout():
    assert checkout() == REPO
    assert templates_dir() == REPO / "templates" and schemas_dir() == REPO / "schemas"
