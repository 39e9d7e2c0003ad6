"""YAML text -> a tree of located nodes, with ruamel.yaml's round-trip parser.

Every mapping key, mapping value and list item keeps its 1-based line and
column, so the checker can name `file:line:col` for any problem. YAML 1.2
rules apply (`on`, `yes`, `no` are strings); aliases are refused before the
document is composed, so a "billion laughs" file fails at its first alias.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

from ..errors import PolicyProblem


@dataclass
class Node:
    """A YAML value and where it stands. `value` is a dict of Nodes for a
    mapping, a list of Nodes for a sequence, or a plain Python scalar."""

    value: Any
    line: int
    col: int
    key_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    plain: bool = False  # an unquoted one-line scalar: columns inside it are exact

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)


def load_tree(text: str, file: str) -> tuple[Node | None, list[PolicyProblem]]:
    """Parse `text`; return the root node, or None and the problems that stop parsing."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    try:
        for event in yaml.parse(text):
            if isinstance(event, AliasEvent):
                mark = event.start_mark
                return None, [
                    PolicyProblem(
                        file,
                        mark.line + 1,
                        mark.column + 1,
                        f"aliases (*{event.anchor}) are not allowed in a policy; "
                        "write the value out in full",
                    )
                ]
        yaml = YAML(typ="rt")
        yaml.version = (1, 2)
        root = yaml.compose(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "unreadable"
        return None, [PolicyProblem(file, line, col, f"this is not valid YAML: {problem}")]
    except YAMLError as error:
        return None, [PolicyProblem(file, 1, 1, f"this is not valid YAML: {error}")]
    if root is None:
        return None, [PolicyProblem(file, 1, 1, "the policy file is empty")]
    problems: list[PolicyProblem] = []
    return _convert(root, file, problems), problems


def _convert(node: Any, file: str, problems: list[PolicyProblem]) -> Node:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, MappingNode):
        values: dict[str, Node] = {}
        key_at: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, ScalarNode) else None
            kline, kcol = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                problems.append(PolicyProblem(file, kline, kcol, "keys must be plain names"))
                continue
            key = str(key)
            if key in values:
                first = key_at[key][0]
                problems.append(
                    PolicyProblem(file, kline, kcol, f"'{key}' is given twice (first on line {first}); keep one")
                )
                continue
            values[key] = _convert(value_node, file, problems)
            key_at[key] = (kline, kcol)
        return Node(values, line, col, key_at)
    if isinstance(node, SequenceNode):
        return Node([_convert(item, file, problems) for item in node.value], line, col)
    plain = node.style is None and "\n" not in node.value
    return Node(_scalar(node), line, col, plain=plain)


def _scalar(node: ScalarNode) -> Any:
    tag, text = str(node.tag), node.value
    if node.style is not None or tag.endswith(":str"):
        return text
    if tag.endswith(":null"):
        return None
    if tag.endswith(":bool"):
        return text.lower() == "true"
    if tag.endswith(":int"):
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:
            return int(text.replace("_", ""))
    if tag.endswith(":float"):
        lowered = text.lower().replace("_", "")
        if lowered in (".inf", "+.inf"):
            return float("inf")
        if lowered == "-.inf":
            return float("-inf")
        if lowered == ".nan":
            return float("nan")
        return float(lowered)
    if tag.endswith(":timestamp"):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return dt.datetime.fromisoformat(text)
    return text
