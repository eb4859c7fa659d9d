"""The site spec: YAML with line numbers, validated by schemas/site.schema.json.

Every key keeps its file:line:column so that a check can point at it; defaults
come from the schema's "default" keywords, so the schema is the one place that
documents and decides them. The file is read within the limits of hagen.load.limits
(a regular file, its size, nesting, aliases, numbers, no bidi character) before and
after ruamel parses it.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from hagen.base.errors import InputRefused
from hagen.base.reports import Where, error
from hagen.base.resources import schemas_dir

KeyPath = tuple  # of str | int
_SCHEMA = object()   # SiteSpec.get without default=: the schema's default


def schema_default(*path):
    """The default the site schema gives the key at path (list indexes: the items' schema),
    None when it gives none. Defaults live in schemas/site.schema.json and nowhere else."""
    found = _schema_default(tuple(path))
    return copy.deepcopy(found) if isinstance(found, (dict, list)) else found


@cache
def _schema_default(path: tuple):
    node = site_schema()
    for part in path:
        if isinstance(part, int):
            node = node.get("items") if isinstance(node.get("items"), dict) else None
        else:
            node = node.get("properties", {}).get(part) or (
                node["additionalProperties"] if isinstance(node.get("additionalProperties"), dict) else None)
        if node is None:
            return None
    return node.get("default")


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
    # the fence passwords read: section -> (Secret | None, reports), immutable; empty until
    # hagen.load.secrets.read_secrets returns the spec that carries them
    secrets: Mapping = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def get(self, *path, default=_SCHEMA):
        """The value at path; when the file lacks it, the schema's default for it (also where
        a whole section is absent, which apply_defaults does not create), or default if given:
        the schema is the one place a default is written, the code never repeats it."""
        node: Any = self.data
        for part in path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return schema_default(*path) if default is _SCHEMA else default
        return node

    def where(self, *path) -> Where:
        """The file:line:column of path; of the deepest part of it the file really has when
        the rest is absent (a report names a place that exists, and its hint the key to add);
        the file alone when none of it is there."""
        probe = tuple(path)
        while probe and probe not in self.positions:
            probe = probe[:-1]
        if not probe:
            return Where(file=self.display)
        line, col = self.positions[probe]
        return Where(file=self.display, line=line, column=col, key=key_text(probe))

    def resolve(self, relative: str) -> Path:
        p = Path(relative)
        return p if p.is_absolute() else self.folder / p


def load_site(path: str | Path) -> SiteSpec:
    """Read, validate and complete the site spec, or raise InputRefused with every problem."""
    from hagen.load.limits import SITE, LimitExceeded, read_regular_file

    display = str(path)
    path = Path(path)
    try:
        text = read_regular_file(path, display, SITE).decode("utf-8")
    except LimitExceeded as exc:
        raise InputRefused(reports=[exc.report])
    except FileNotFoundError:
        raise InputRefused(reports=[error("HA102", Where(file=display), "the site spec does not exist",
                                          "give --site PATH (or set HAGEN_SITE, or run hagen in the folder of "
                                          "site.yaml), e.g. --site examples/bas5-guide/site.yaml; a first "
                                          "site spec for your cluster: hagen init --db DSN -o site.yaml "
                                          "(or --snapshot FILE)")])
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise InputRefused(reports=[error("HA102", Where(file=display), f"cannot read the site spec: {why}",
                                          "check the file's permissions and that it is UTF-8 text")])
    return parse_site(text, display, path)


def parse_site(text: str, display: str, path: Path | None = None) -> SiteSpec:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    from hagen.load.limits import SITE, measure, scan_text

    # what no parser should see: too deep, too long a number, a NUL, a bidi character
    problems = scan_text(text, display, SITE, format_chars=True)
    if problems:
        raise InputRefused(reports=problems)
    yaml = YAML(typ="rt", pure=True)
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except RecursionError:
        raise InputRefused(reports=[error("HA116", Where(file=display), "the site spec nests too deeply to be read",
                                          "flatten it (docs/limits.md)")])
    except ValueError as exc:          # e.g. an integer too long to convert that the scan let through
        raise InputRefused(reports=[error("HA117", Where(file=display), f"a value cannot be converted: {exc}",
                                          "write a smaller number, or quote it if it is text")])
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Where(file=display, line=mark.line + 1 if mark else None,
                      column=mark.column + 1 if mark else None)
        msg = " ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise InputRefused(reports=[error("HA100", where, f"not valid YAML: {msg}",
                                          "fix the YAML syntax at this position (indentation, quoting, a duplicate key)")])
    except YAMLError as exc:
        raise InputRefused(reports=[error("HA100", Where(file=display), f"not valid YAML: {exc}", "fix the YAML syntax")])
    # aliases are shared, not copied, in the tree: measure it before _plain expands them
    exceeded = measure(tree, SITE)
    if exceeded is not None:
        code, at, message, hint = exceeded
        # an alias has the position of its anchor: point at the collection that holds it instead
        line, col = _tree_position(tree, at[:-1] if code == "HA115" and len(at) > 1 else at)
        raise InputRefused(reports=[error(code, Where(file=display, line=line, column=col, key=key_text(at)),
                                          message, hint)])
    positions: dict = {}
    data = {} if tree is None else _plain(tree, (), positions)   # an empty file is an empty spec
    reports = validate(data, positions, display)
    if reports:
        raise InputRefused(reports=reports)
    completed = apply_defaults(data, site_schema())
    return SiteSpec(path=(path or Path(display)).resolve(), display=display, data=completed, positions=positions)


def _tree_position(tree, path: KeyPath) -> tuple:
    """(line, column), 1-based, of the deepest part of path in ruamel's tree (None, None if unknown)."""
    line = col = None
    node = tree
    for part in path:
        try:
            lc = node.lc
            line, col = lc.key(part) if isinstance(node, dict) else lc.item(part)
            line, col = line + 1, col + 1
            node = node[part]
        except (AttributeError, KeyError, IndexError, TypeError):
            break
    return line, col


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


@cache
def _validator_class():
    """Draft 2020-12, with "pattern" as JSON Schema means it (ECMA-262): a final `$` matches at the
    very end only. Python's `$` also matches before a trailing line break, and "/etc/hosts\\n" or
    "compute\\n" would pass into a file whose lines they would break."""
    import re

    from jsonschema import Draft202012Validator, ValidationError, validators

    def pattern(validator, regex, instance, schema):
        if not validator.is_type(instance, "string"):
            return
        anchored = regex[:-1] + r"\Z" if regex.endswith("$") and not regex.endswith(r"\$") else regex
        if not re.search(anchored, instance):
            yield ValidationError(f"{instance!r} does not match {regex!r}")

    # "integer" means an integer: jsonschema also takes 10.0, which would reach ntp.conf as "stratum 10.0"
    checker = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool))
    return validators.extend(Draft202012Validator, {"pattern": pattern}, type_checker=checker)


def validate(data, positions: dict, display: str) -> list:
    validator = _validator_class()(site_schema())
    found = []
    for err in validator.iter_errors(data):
        for path, message, hint in _explain(err):
            probe = path
            while probe and probe not in positions:
                probe = probe[:-1]
            line, col = positions.get(probe, (None, None))
            found.append(((line or 0, col or 0, key_text(path)),
                          error("HA101", Where(file=display, line=line, column=col, key=key_text(path)), message, hint)))
    found.sort(key=lambda item: item[0])
    return [report for _, report in found]


_SECRET_KEYS = ("password", "password_env", "password_file", "passwd")
_NO_PASSWORD_HINT = ("a password never lives in the site spec: write it on the first line of a file named by "
                     "password_file (mode 0600), or in an environment variable named by password_env")


def _explain(err) -> list:
    """(key path, message, hint) for one schema error: an unknown key points at that key, and
    a oneOf whose form is clear from the keys given reports that form's own errors."""
    path = tuple(err.absolute_path)
    if path and path[-1] in _SECRET_KEYS and not isinstance(err.instance, dict):
        # a password written where its file's or variable's name goes: never echo the value
        return [(path, f"{path[-1]} is not valid ({err.validator}: {err.validator_value!r}); its value is not "
                       "shown, in case it is a password", _schema_hint(err))]
    if err.validator == "additionalProperties" and isinstance(err.instance, dict):
        allowed = set(err.schema.get("properties", {})) if isinstance(err.schema, dict) else set()
        extra = sorted((k for k in err.instance if k not in allowed), key=str)
        if extra:
            return [(path + (str(k),), f"unknown key {str(k)!r}",
                     _NO_PASSWORD_HINT if "passw" in str(k).lower() else _schema_hint(err)) for k in extra]
    if err.validator == "oneOf" and isinstance(err.instance, dict) and isinstance(err.validator_value, list):
        branches = err.validator_value
        required = [s.get("required", []) if isinstance(s, dict) else [] for s in branches]
        chosen = [i for i, keys in enumerate(required) if keys and all(k in err.instance for k in keys)]
        keys = sorted({k for r in required for k in r})
        if len(chosen) == 1 and err.context:
            subs = [c for c in err.context if c.relative_schema_path and c.relative_schema_path[0] == chosen[0]]
            if subs:
                return [item for sub in subs for item in _explain(sub)]
        if len(chosen) > 1:
            given = sorted({k for i in chosen for k in required[i]})
            return [(path, f"{' and '.join(given)} are given together", "give exactly one of: " + ", ".join(keys))]
        if not chosen and keys and all(isinstance(s, dict) and s.get("required") for s in branches):
            return [(path, "none of " + ", ".join(keys) + " is given", "give exactly one of: " + ", ".join(keys))]
    return [(path, _schema_message(err), _schema_hint(err))]


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
