"""Read a scenario file, or explain exactly what is wrong with it.

Every error names the file, the line, the field path and what was expected, so that a person
can fix the file without reading a traceback. Floats in YAML are read as ``Decimal`` so that a
rate of 120.10 stays 120.10.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from sim.scenario import Scenario, cross_check

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


class _Loader(yaml.SafeLoader):
    """Safe YAML with decimal floats."""


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    assert isinstance(node, yaml.ScalarNode)
    return Decimal(loader.construct_scalar(node).replace("_", ""))


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lines(node: yaml.Node | None) -> dict[str, int]:
    """Field path -> 1-based line, for every node of the document."""
    found: dict[str, int] = {}

    def walk(n: yaml.Node, loc: tuple[int | str, ...]) -> None:
        found[_path(loc)] = n.start_mark.line + 1
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                if isinstance(key, yaml.ScalarNode):
                    found[_path((*loc, key.value))] = key.start_mark.line + 1
                    walk(value, (*loc, key.value))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*loc, i))

    if node is not None:
        walk(node, ())
    return found


def _line_of(lines: dict[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


def _expected(err: dict[str, Any]) -> tuple[str, str | None]:
    kind, msg = err["type"], err["msg"]
    got = None if kind == "missing" else repr(err.get("input"))[:60]
    if kind == "missing":
        return "this required field", None
    if kind == "extra_forbidden":
        return "no such field (it is not part of the scenario format; check its spelling)", None
    if kind == "literal_error":
        return msg.removeprefix("Input should be ").replace("'", '"'), got
    return msg.removeprefix("Input should be ").removeprefix("Value error, "), got


def load_scenario(file: str | Path) -> Scenario:
    """Parse and validate ``file``; raises ``ScenarioError`` naming every problem."""
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            path, [Problem("", f"a readable scenario file ({exc.strerror})")]
        ) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(path, [Problem("", f"valid YAML ({reason})", line)]) from None
    lines = _lines(node)
    if not isinstance(data, dict):
        raise ScenarioError(
            path,
            [Problem("", "a mapping of scenario fields at the top level", 1, type(data).__name__)],
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
        raise ScenarioError(path, [Problem(p, e, _line_of(lines, p)) for p, e in issues])
    return scenario


def scenario_json_schema() -> str:
    """The scenario format as JSON Schema, for editors (YAML language servers read it)."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "q2c-sandbox scenario"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
