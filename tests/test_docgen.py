"""docs/site-spec.md and docs/codes.md are generated: they must match the schema and the code table."""

from conftest import REPO
from hagen.base.codes import CODES
from hagen.load.site import site_schema


def test_generated_docs_are_current(capsys):
    from hagen.cli.docgen import main

    assert main(["--check"]) == 0, capsys.readouterr().err


def test_every_schema_key_has_a_description():
    missing = []

    def walk(schema, path):
        for key, sub in schema.get("properties", {}).items():
            if not sub.get("description") and not path.endswith("optional_groups"):
                missing.append(f"{path}.{key}".lstrip("."))
            walk(sub, f"{path}.{key}")
            if isinstance(sub.get("items"), dict):
                walk(sub["items"], f"{path}.{key}[]")

    walk(site_schema(), "")
    assert not missing


def test_every_code_is_in_codes_md():
    """docs/codes.md lists each code once, with its severity (the registry's checks: tests/test_codes.py)."""
    from hagen.base.codes import severity

    text = (REPO / "docs" / "codes.md").read_text()
    assert all(text.count(f"| {code} | {severity(code)} |") == 1 for code in CODES)
