"""hagen(1), generated from the command line itself (the typer app seen as click sees it):
every command and `db` subcommand with its help text, arguments and options, so that
the page cannot drift from `hagen --help`. Deterministic: no date. Written to
docs/hagen.1 by `python3 -m hagen.cli.docgen`; installed as share/man/man1/hagen.1
(pyproject.toml's data-files), where `man hagen` finds it."""

from __future__ import annotations

import re

from hagen import __version__


def _roff(text: str) -> str:
    """Text as roff reads it: backslashes and hyphens escaped, no line starting a request."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line.startswith((".", "'")) else line for line in text.splitlines())


def _paragraphs(help_text: str) -> list[str]:
    out = []
    for para in re.split(r"\n\s*\n", (help_text or "").strip()):
        para = para.replace("\b", "").strip()
        if para:
            out.append(para)
    return out


def _type_name(kind) -> str:
    choices = getattr(kind, "choices", None)
    return "|".join(str(c) for c in choices) if choices else kind.name.upper()


def _params(command) -> list[str]:
    lines = []
    for p in command.params:
        if getattr(p, "hidden", False) or p.name in ("help", "install_completion", "show_completion"):
            continue
        if p.param_type_name == "argument":
            lines += [".TP", f"\\fI{_roff((p.metavar or p.name).upper())}\\fR",
                      _roff(getattr(p, "help", None) or "")]
            continue
        names = ", ".join(f"\\fB{_roff(o)}\\fR" for o in p.opts + p.secondary_opts)
        metavar = "" if p.is_flag else f" \\fI{_roff(p.metavar or _type_name(p.type))}\\fR"
        lines += [".TP", names + metavar, _roff(getattr(p, "help", None) or "")]
    return lines


def _command(path: str, command) -> list[str]:
    lines = [f'.SS "{_roff(path)}"']
    for para in _paragraphs(command.help):
        lines += [_roff(para), ".PP"]
    if lines[-1] == ".PP":
        lines.pop()
    return lines + _params(command)


def man_page() -> str:
    import typer.main

    from hagen.cli import app

    group = typer.main.get_command(app)
    about = _paragraphs(group.help)
    lines = [f'.TH HAGEN 1 "" "hagen {__version__}" "User Commands"', ".SH NAME",
             "hagen \\- compile and deploy the high\\-availability configuration of a Bull\\-style HPC cluster",
             ".SH SYNOPSIS", ".B hagen", "[\\fB\\-\\-version\\fR] [\\fB\\-\\-no\\-color\\fR] \\fICOMMAND\\fR "
             "[\\fIOPTIONS\\fR] [\\fIARGUMENTS\\fR]", ".SH DESCRIPTION"]
    for para in about:
        lines += [_roff(para), ".PP"]
    lines += [".SH COMMANDS"]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            for sub, subcommand in command.commands.items():
                lines += _command(f"hagen {name} {sub}", subcommand)
        else:
            lines += _command(f"hagen {name}", command)
    lines += [
        ".SH EXIT STATUS",
        "0 success; 2 input refused (site spec, ClusterDB rows, command line); 3 database or I/O trouble "
        "(push, gather: some nodes failed). \\fBhagen diff\\fR: 0 no difference, 1 differences, 2 trouble. "
        "\\fBhagen audit\\fR: 0 no single point of failure left unaccepted, 1 some.",
        ".SH ENVIRONMENT", ".TP", "\\fBHAGEN_SITE\\fR", "The site spec when \\fB\\-\\-site\\fR is not given "
        "(then \\fI./site.yaml\\fR).", ".TP", "\\fBPGHOST\\fR, \\fBPGUSER\\fR, \\fBPGPASSWORD\\fR, ...",
        "libpq's variables and \\fI~/.pgpass\\fR apply to \\fB\\-\\-db\\fR.", ".TP", "\\fBNO_COLOR\\fR",
        "No colour on a terminal.", ".TP", "\\fBHAGEN_DEBUG\\fR", "Print the traceback of an internal error.",
        ".SH FILES", "\\fIsite.yaml\\fR (the site spec), \\fIout/<host>/<path>\\fR (the output tree), "
        "\\fI.out.d/\\fR (its store), \\fIgathered/\\fR (what the nodes hold).",
        ".SH SEE ALSO", "The documentation of hagen's repository: README.md, docs/tutorial.md, docs/site-spec.md, "
        "docs/clusterdb.md, docs/codes.md, docs/audit.md.",
    ]
    return "\n".join(lines) + "\n"
