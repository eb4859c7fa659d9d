"""The hand-written docs stay true to the code they describe."""

from __future__ import annotations

import re

from conftest import REPO
from hagen.load.rows import TABLES


def test_clusterdb_md_documents_every_table_and_column():
    text = (REPO / "docs" / "clusterdb.md").read_text()
    missing = []
    for table in TABLES:
        if not re.search(rf"^### .*\b{table.name}\b", text, re.M):
            missing.append(table.name)
        section = text[text.index(table.name):]
        for column in table.column_names:
            if not re.search(rf"\| \**{column}\** [|/]|/ \**{column}\** \|", section):
                missing.append(f"{table.name}.{column}")
    assert not missing, missing


def test_clusterdb_md_says_where_each_table_comes_from():
    text = (REPO / "docs" / "clusterdb.md").read_text()
    for table in TABLES:
        heading = re.search(rf"^### ([a-z_ ]*\b{table.name}\b[a-z_ ]*) \((guide|clm|shine|recon)\)", text, re.M)
        assert heading, table.name


def test_the_tutorial_uses_commands_hagen_has():
    from hagen.cli import app
    import typer

    commands = set(typer.main.get_command(app).commands)
    text = (REPO / "docs" / "tutorial.md").read_text()
    blocks = "\n".join(re.findall(r"```sh\n(.*?)```", text, re.S))
    used = set(re.findall(r"^hagen ([a-z]+)", blocks, re.M))
    assert used and used <= commands | {"gather"}, used - commands   # gather: added on its own branch
