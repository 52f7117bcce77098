"""Read a scenario file, or explain exactly what is wrong with it.

Every error names the file, the line, the field path and what was expected, so that a person
can fix the file without reading a traceback. Floats in YAML are read as ``Decimal`` so that a
rate of 120.10 stays 120.10. What a file may be at all (a regular file, its size, nesting,
aliases, numbers that are no amounts) is checked first, in ``sim.scenario._yaml``, so that no
file can hang the process or exhaust its memory.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario._yaml import NotANumber, Refused, compose_and_construct, read_text
from sim.scenario.format import Scenario
from sim.scenario.rules import cross_check

__all__ = ["ScenarioError", "load_scenario", "scenario_json_schema"]


@dataclass(frozen=True)
class Problem:
    path: str
    expected: str
    line: int | None = None
    got: str | None = None

    def __str__(self) -> str:
        got = f" (got {self.got})" if self.got is not None else ""
        return f"{self.path or '<top level>'}: expected {self.expected}{got}"


class ScenarioError(Exception):
    """A scenario file that cannot be used; ``problems`` lists every reason."""

    def __init__(self, file: Path, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"{self.file}: {len(self.problems)} problem(s) in this scenario"]
        for p in self.problems:
            where = f"{self.file}:{p.line}" if p.line else str(self.file)
            lines.append(f"  {where}: {p}")
        return "\n".join(lines)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if part == "[key]":  # pydantic's marker for a bad mapping key: the key's path names it
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lines(node: yaml.Node | None) -> tuple[dict[str, int], list[Problem]]:
    """Field path -> 1-based line for every node, and the keys given twice in one mapping.

    A field's line is its key's line (``rates:``), not the line its block value starts on.
    """
    found: dict[str, int] = {}
    twice: list[Problem] = []
    walked: set[int] = set()  # an alias repeats a node: walk it once (and never loop)

    def walk(n: yaml.Node, loc: tuple[int | str, ...], line: int) -> None:
        found[_path(loc)] = line
        if id(n) in walked:
            return
        walked.add(id(n))
        if isinstance(n, yaml.MappingNode):
            keys: dict[str, int] = {}
            for key, value in n.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    here = key.start_mark.line + 1
                    if key.value in keys:
                        twice.append(
                            Problem(
                                _path((*loc, key.value)),
                                f"each key once per mapping (it is also on line {keys[key.value]})",
                                here,
                            )
                        )
                        continue
                    keys[key.value] = here
                    walk(value, (*loc, key.value), here)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*loc, i), item.start_mark.line + 1)

    if node is not None:
        walk(node, (), node.start_mark.line + 1)
    return found, twice


def _line_of(lines: dict[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


# What the scenario's text patterns mean, in words (see sim.scenario.format).
_PATTERNS = {
    r"^[A-Z]{2}$": "a two-letter country code in capitals (ISO 3166-1, e.g. DE)",
    r"^[a-z]{2}_[A-Z]{2}$": "a locale such as de_DE or en_GB",
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$": (
        "an id of at most 40 letters, digits, '_', '.' or '-', starting with a letter or digit"
    ),
}


def _shown(value: object) -> str:
    """A value as the file wrote it, shortened."""
    if isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, date):
        text = value.isoformat()
    elif isinstance(value, list | dict) and len(value) > 10:  # never repr a huge container
        text = f"a {'list' if isinstance(value, list) else 'mapping'} of {len(value):,} items"
    else:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(err: dict[str, Any]) -> tuple[str, str | None]:
    kind, msg, ctx = err["type"], err["msg"], err.get("ctx") or {}
    got = None if kind == "missing" else _shown(err.get("input"))
    if kind == "missing":
        return "this required field", None
    if isinstance(err.get("input"), NotANumber):
        return "a finite number of at most 30 digits (.nan and .inf are not numbers here)", got
    if kind == "extra_forbidden":
        return "no such field (it is not part of the scenario format; check its spelling)", None
    if kind == "literal_error":
        return msg.removeprefix("Input should be ").replace("'", '"'), got
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(ctx["pattern"], f"text matching {ctx['pattern']}"), got
    if kind == "too_long":
        return f"at most {ctx['max_length']:,} item(s)", f"{ctx['actual_length']:,}"
    if kind in ("too_short", "string_too_short"):
        return f"at least {ctx['min_length']} item(s)", got
    if kind == "decimal_max_places":
        return f"an amount with at most {ctx['decimal_places']} decimal places", got
    if kind == "decimal_max_digits":
        return f"a number of at most {ctx['max_digits']} digits", got
    if kind.startswith("datetime_"):
        return "a moment written YYYY-MM-DDTHH:MM:SS (UTC unless it has an offset)", got
    if kind.startswith("date_"):
        return "a date written YYYY-MM-DD (e.g. 2026-03-31)", got
    if kind in ("int_parsing", "int_from_float", "int_type"):
        return "a whole number", got
    if kind in ("decimal_parsing", "decimal_type"):
        return "a number (e.g. 118.45)", got
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "a mapping (key: value pairs)", got
    return msg.removeprefix("Input should be ").removeprefix("Value error, "), got


def _value_at(data: object, path: str) -> object:
    """The raw value at a field path of the parsed file, or None."""
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if index and isinstance(data, list) and int(index) < len(data):
            data = data[int(index)]
        elif name and isinstance(data, dict) and name in data:
            data = data[name]
        else:
            return None
    return data


def _got(data: object, path: str) -> str | None:
    """What the file holds at ``path``, when it is a plain value worth quoting."""
    value = _value_at(data, path)
    if isinstance(value, str | int | Decimal | date) and not isinstance(value, bool):
        return _shown(value)
    return None


def load_scenario(file: str | Path) -> Scenario:
    """Parse and validate ``file``; raises ``ScenarioError`` naming every problem."""
    path = Path(file)
    try:
        text = read_text(path)
        node, data = compose_and_construct(text)
    except Refused as exc:
        raise ScenarioError(path, [Problem("", exc.expected, exc.line, exc.got)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(path, [_yaml_problem(exc, text)]) from None
    lines, twice = _lines(node)
    if twice:
        raise ScenarioError(path, twice)
    if not isinstance(data, dict):
        kind = "an empty document" if data is None else f"a {type(data).__name__}"
        line = None if node is None else node.start_mark.line + 1
        raise ScenarioError(
            path, [Problem("", "a mapping of scenario fields at the top level", line, kind)]
        )
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            where = _path(tuple(err["loc"]))
            expected, got = _expected(dict(err))
            problems.append(Problem(where, expected, _line_of(lines, where), got))
        raise ScenarioError(path, problems) from None
    issues = cross_check(scenario)
    if issues:
        raise ScenarioError(
            path, [Problem(p, e, _line_of(lines, p), _got(data, p)) for p, e in issues]
        )
    return scenario


def _yaml_problem(exc: yaml.YAMLError, text: str) -> Problem:
    """Where and why the YAML parser stopped, on one line."""
    if isinstance(exc, yaml.reader.ReaderError):  # a character YAML does not allow
        char = exc.character
        what = f"U+{char:04X}" if isinstance(char, int) else str(char)
        at = text.count("\n", 0, exc.position) + 1
        return Problem("", f"valid YAML (the special character {what} is not allowed)", at)
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    reason = str(getattr(exc, "problem", None) or exc)
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and not context.startswith("while"):  # "expected a single document ..."
        reason = f"{context}, {reason}"
    elif context and start is not None and start.line + 1 != line:
        reason += f", {context} started on line {start.line + 1}"
    return Problem("", f"valid YAML ({reason})", line)


def scenario_json_schema() -> str:
    """The scenario format as JSON Schema, for editors (YAML language servers read it)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "q2c-sandbox scenario"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
