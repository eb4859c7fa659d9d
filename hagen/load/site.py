"""The site spec: YAML with line numbers, validated by schemas/site.schema.json.

Every key keeps its file:line:column so that a check can point at it; defaults
come from the schema's "default" keywords, so the schema is the one place that
documents and decides them.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from hagen.errors import InputRefused
from hagen.reports import Where, error
from hagen.resources import schemas_dir

KeyPath = tuple  # of str | int


@cache
def site_schema() -> dict:
    return json.loads((schemas_dir() / "site.schema.json").read_text(encoding="utf-8"))


def key_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


@dataclass(frozen=True)
class SiteSpec:
    """The validated site spec, defaults applied, with the position of every key."""

    path: Path
    display: str                         # the path as the user gave it, for messages
    data: dict
    positions: dict = field(repr=False)  # KeyPath -> (line, column), 1-based

    @property
    def folder(self) -> Path:
        return self.path.parent

    def get(self, *path, default=None):
        node: Any = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return default
        return node

    def where(self, *path) -> Where:
        """The file:line:column of the deepest part of path the file really has."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        line, col = self.positions.get(probe, (None, None))
        return Where(file=self.display, line=line, column=col, key=key_text(tuple(path)))

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.folder / p


def load_site(path: str | Path) -> SiteSpec:
    """Read, validate and complete the site spec, or raise InputRefused with every problem."""
    display = str(path)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputRefused(reports=[error("HA102", Where(file=display), "the site spec does not exist",
                                          "give the path of a site spec, e.g. examples/bas5-guide/site.yaml")])
    except (OSError, UnicodeDecodeError) as exc:
        raise InputRefused(reports=[error("HA102", Where(file=display), f"cannot read the site spec: {exc}",
                                          "check the file's permissions and that it is UTF-8 text")])
    return parse_site(text, display, path)


def parse_site(text: str, display: str, path: Path | None = None) -> SiteSpec:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Where(file=display, line=mark.line + 1 if mark else None,
                      column=mark.column + 1 if mark else None)
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputRefused(reports=[error("HA100", where, f"not valid YAML: {msg}",
                                          "fix the YAML syntax at this position (indentation, quoting, a duplicate key)")])
    except YAMLError as exc:
        raise InputRefused(reports=[error("HA100", Where(file=display), f"not valid YAML: {exc}", "fix the YAML syntax")])
    if tree is None:
        tree = {}
    positions: dict = {}
    data = _plain(tree, (), positions)
    reports = validate(data, positions, display)
    if reports:
        raise InputRefused(reports=reports)
    completed = apply_defaults(data, site_schema())
    return SiteSpec(path=(path or Path(display)).resolve(), display=display, data=completed, positions=positions)


def _plain(node, path: KeyPath, positions: dict):
    """ruamel's tree -> plain Python, recording each key's position."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out = {}
        for key, value in node.items():
            try:
                line, col = node.lc.key(key)
            except (KeyError, TypeError):
                line, col = node.lc.line, node.lc.col
            positions[path + (str(key),)] = (line + 1, col + 1)
            out[str(key) if not isinstance(key, (int, bool)) else key] = _plain(value, path + (str(key),), positions)
        if path not in positions:
            positions[path] = (node.lc.line + 1, node.lc.col + 1)
        return out
    if isinstance(node, CommentedSeq):
        out = []
        for i, value in enumerate(node):
            try:
                line, col = node.lc.item(i)
                positions[path + (i,)] = (line + 1, col + 1)
            except (KeyError, TypeError):
                pass
            out.append(_plain(value, path + (i,), positions))
        return out
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return str(node)


def validate(data, positions: dict, display: str) -> list:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(site_schema())
    reports = []
    for err in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = tuple(err.absolute_path)
        probe = path
        while probe and probe not in positions:
            probe = probe[:-1]
        line, col = positions.get(probe, (None, None))
        where = Where(file=display, line=line, column=col, key=key_text(path))
        reports.append(error("HA101", where, _schema_message(err), _schema_hint(err)))
    return reports


def _schema_message(err) -> str:
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return f"unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}"
    if err.validator == "oneOf" and isinstance(err.instance, dict):
        return f"{err.message.split(' is not valid')[0]} does not match any allowed form"
    return err.message


def _schema_hint(err) -> str:
    schema = err.schema if isinstance(err.schema, dict) else {}
    if err.validator == "additionalProperties":
        allowed = ", ".join(sorted(schema.get("properties", {})))
        return f"allowed keys here: {allowed} (see docs/site-spec.md)"
    if err.validator == "enum":
        return "use one of: " + ", ".join(map(str, err.validator_value))
    if err.validator == "oneOf":
        required = [sorted(s.get("required", [])) for s in err.validator_value if isinstance(s, dict)]
        forms = [" + ".join(r) for r in required if r]
        if forms and len(forms) == len(err.validator_value):
            return "give exactly one of: " + ", ".join(forms)
        return "see docs/site-spec.md for the forms this key takes"
    desc = schema.get("description")
    return desc or "see docs/site-spec.md"


def apply_defaults(data, schema: dict):
    """A copy of data with the schema's defaults filled in, recursively."""
    data = copy.deepcopy(data)
    _fill(data, schema)
    return data


def _fill(node, schema: dict) -> None:
    if isinstance(node, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in node and "default" in sub:
                node[key] = copy.deepcopy(sub["default"])
            if key in node:
                _fill(node[key], sub)
    elif isinstance(node, list) and isinstance(schema.get("items"), dict):
        for item in node:
            _fill(item, schema["items"])
