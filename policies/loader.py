"""Read a policy file and explain every problem in it by file, line and field."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from policies.schema import Policy

DEFAULT_POLICY = Path(__file__).with_name("default.yaml")


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong in a policy file."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PolicyError(Exception):
    """A policy file that cannot be used, with every problem found in it."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def load_policy(path: Path | str = DEFAULT_POLICY) -> Policy:
    """Return the validated policy in `path`, or raise PolicyError listing each problem."""
    path = Path(path)
    name = str(path)
    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise PolicyError([PolicyProblem(name, 0, "", f"cannot read the file: {exc.strerror}")]) from exc
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        message = (
            f"the file is not UTF-8 (byte 0x{data[exc.start]:02x} is not UTF-8 text); save it as UTF-8,"
            f" or convert it: iconv -f latin1 -t utf-8 {name} > utf8-{path.name}"
        )
        raise PolicyError([PolicyProblem(name, line, "", message)]) from exc
    return parse_policy(text, name)


def parse_policy(text: str, name: str = "<policy>") -> Policy:
    """Return the validated policy in YAML `text`, or raise PolicyError."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError([PolicyProblem(name, line, "", f"not valid YAML: {problem}")]) from exc
    if not isinstance(data, dict) or node is None:
        raise PolicyError([PolicyProblem(name, 1, "", "the policy must be a mapping of settings")])
    lines = _line_index(node)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(name, error, lines) for error in exc.errors()]
        raise PolicyError(problems) from exc
    hierarchy = [
        PolicyProblem(name, lines.get(loc, lines.get(loc[:-1], 1)), ".".join(loc), message)
        for loc, message in policy.hierarchy_problems()
    ]
    if hierarchy:
        raise PolicyError(hierarchy)
    return policy


def _problem(name: str, error: ErrorDetails, lines: dict[tuple, int]) -> PolicyProblem:
    loc = tuple(part for part in error["loc"] if not _is_pydantic_tag(part))
    field = ".".join(str(part) for part in loc)
    message = error["msg"].removeprefix("Value error, ")
    # The line of the deepest part of the path that exists in the file.
    for depth in range(len(loc), -1, -1):
        line = lines.get(loc[:depth])
        if line is not None:
            return PolicyProblem(name, line, field, message)
    return PolicyProblem(name, 1, field, message)


def _is_pydantic_tag(part: object) -> bool:
    # Pydantic adds union-member and function tags to a location, such as
    # "function-after[...]"; they are not keys of the file.
    return isinstance(part, str) and ("[" in part or part in {"decimal", "str", "int"})


def _line_index(node: yaml.Node, path: tuple = ()) -> dict[tuple, int]:
    """Map each key path in the document to the 1-based line it starts on."""
    index = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, _scalar(key))
            index[child] = key.start_mark.line + 1
            for sub, line in _line_index(value, child).items():
                index.setdefault(sub, line)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            index.update(_line_index(item, (*path, i)))
    return index


def _scalar(node: yaml.Node) -> object:
    value = node.value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value
