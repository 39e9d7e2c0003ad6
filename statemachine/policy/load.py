"""YAML text -> a tree of located nodes, with ruamel.yaml's round-trip parser.

Every mapping key, mapping value and list item keeps its 1-based line and
column, so the checker can name `file:line:col` for any problem. YAML 1.2
rules apply (`on`, `yes`, `no` are strings); aliases, tags and other YAML
versions are refused on the event stream before the document is composed, so
a "billion laughs" file fails at its first alias without being expanded.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, CollectionStartEvent, DocumentStartEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.reader import ReaderError

from ..errors import PolicyProblem


@dataclass
class Node:
    """A YAML value and where it stands. `value` is a dict of Nodes for a
    mapping, a list of Nodes for a sequence, or a plain Python scalar."""

    value: Any
    line: int
    col: int
    key_at: dict[str, tuple[int, int]] = field(default_factory=dict)
    # The column of the scalar's first character when each character of the
    # value sits at its own column on one line (unquoted, or quoted without
    # escapes), so a problem inside an expression can be pointed at exactly.
    text_col: int | None = None

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)


class _RefusedAt(Exception):
    """A construct that policies refuse, found before composing the document."""

    def __init__(self, line: int, col: int, message: str):
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def _refused(mark: Any, message: str) -> _RefusedAt:
    return _RefusedAt(mark.line + 1, mark.column + 1, message)


def load_tree(text: str, file: str) -> tuple[Node | None, list[PolicyProblem]]:
    """Parse `text`; return the root node, or None and the problems that stop parsing."""
    try:
        _refuse_unsafe_events(text)
        yaml = YAML(typ="rt")
        yaml.version = (1, 2)
        with warnings.catch_warnings():
            # A reused anchor only warns (on stderr); without aliases it is harmless.
            warnings.simplefilter("ignore")
            root = yaml.compose(text)
    except _RefusedAt as refused:
        return None, [PolicyProblem(file, refused.line, refused.col, refused.message)]
    except ReaderError as error:
        line, col = _position(text, error.position)
        return None, [PolicyProblem(file, line, col, _character_problem(error.character))]
    except MarkedYAMLError as error:
        line, col, message = _dedented_key(text, error) or _yaml_problem(error)
        return None, [PolicyProblem(file, line, col, f"this is not valid YAML: {message}")]
    except YAMLError as error:
        first_line = str(error).splitlines()[0] if str(error) else "unreadable"
        return None, [PolicyProblem(file, 1, 1, f"this is not valid YAML: {first_line}")]
    if root is None:
        return None, [PolicyProblem(file, 1, 1, "the policy file is empty")]
    problems: list[PolicyProblem] = []
    return _convert(root, text, file, problems), problems


def _refuse_unsafe_events(text: str) -> None:
    """Walk the parser's events (no document is built) and stop at the first
    alias, tag or `%YAML` directive: aliases can blow a small file up into
    billions of nodes, and tags or YAML 1.1 would change what values mean."""
    yaml = YAML(typ="rt")
    yaml.version = (1, 2)
    for event in yaml.parse(text):
        if isinstance(event, AliasEvent):
            raise _refused(
                event.start_mark,
                f"aliases (*{event.anchor}) are not allowed in a policy; write the value out in full",
            )
        if isinstance(event, (ScalarEvent, CollectionStartEvent)) and event.tag is not None:
            tag = str(event.tag).replace("tag:yaml.org,2002:", "!!")
            raise _refused(event.start_mark, f"YAML tags ({tag}) are not allowed in a policy; remove {tag}")
        if isinstance(event, DocumentStartEvent) and event.version not in (None, (1, 2)):
            major, minor = event.version
            line, col = _position(text, text.find("%YAML"))
            raise _RefusedAt(
                line,
                col,
                f"policies are YAML 1.2, but this file says %YAML {major}.{minor}; remove that line",
            )


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of the character at `index`."""
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def _character_problem(code: int) -> str:
    if code == 0:
        return "the file contains a NUL byte, so it is not a text file; is it really a YAML policy?"
    return f"the file contains an invisible control character (U+{code:04X}) here; delete it"


# ruamel.yaml's words for the common slips, and what a policy editor should do.
# The slips marked in _AT_START are shown where the unfinished thing starts.
_AT_START = ("could not find expected ':'", "found unexpected end of stream", "expected ',' or ']'", "expected ',' or '}'")
_YAML_HINTS = (
    ("mapping values are not allowed here",
     "a ':' is not expected here; check this line's indentation, or put text containing ': ' in quotes"),
    ("found character '\\t' that cannot start any token", "tabs cannot indent YAML; use spaces"),
    ("could not find expected ':'", "this line needs a ':' after its name, like `key: value`"),
    ("expected <block end>", "the indentation here does not match the lines above; line it up with the entries it belongs to"),
    ("expected ',' or ']'", "the list that opens here with '[' is not closed: add ']' (or a missing comma)"),
    ("expected ',' or '}'", "the group that opens here with '{' is not closed: add '}' (or a missing comma)"),
    ("found unexpected end of stream", "the quoted text is never closed: add the closing quote"),
    ("found unknown escape character", "a backslash in double quotes starts an escape; use single quotes for text with backslashes"),
    ("but found another document", "a second document starts here ('---'); a policy file holds exactly one policy"),
)


def _yaml_problem(error: MarkedYAMLError) -> tuple[int, int, str]:
    problem = error.problem or error.context or "unreadable"
    mark = error.problem_mark or error.context_mark
    for words, hint in _YAML_HINTS:
        if words in problem:
            if words in _AT_START and error.context_mark:
                mark = error.context_mark
            problem = hint
            break
    else:
        problem = problem.replace("<stream end>", "the end of the file")
        if problem.startswith("found character '") and problem.endswith("that cannot start any token"):
            problem = f"a value cannot start with {problem.split(' ')[2]}; put the value in quotes"
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return line, col, problem


def _dedented_key(text: str, error: MarkedYAMLError) -> tuple[int, int, str] | None:
    """A key of a section moved to column 1 reads, to YAML, as a top-level key
    of its own, and the parser only stumbles at the next entry of the section,
    indented as before. When the line above the stumble is such a key (at
    column 1, not one of the policy's top-level keys) with the section above
    it (an entry, or the section's key) and an entry below, the slip is that
    line: name it, not the next."""
    mark = error.problem_mark
    if mark is None or "expected <block end>" not in (error.problem or "") or mark.column == 0:
        return None
    from .check import TOP_KEYS  # here: check imports this module

    lines = text.splitlines()
    content = [n for n in range(min(mark.line, len(lines))) if lines[n].strip() and not lines[n].lstrip().startswith("#")]
    if len(content) < 2:
        return None
    above, before = content[-1], content[-2]
    key = lines[above].split(":", 1)[0].strip()
    indent = mark.column
    if lines[above][:1].isspace() or ":" not in lines[above] or key in TOP_KEYS or key[:1] in ("-", "[", "{", "?"):
        return None
    opens = lines[before].split("#", 1)[0].rstrip().endswith(":")  # the section's own key, before its first entry
    before_indent = len(lines[before]) - len(lines[before].lstrip(" "))
    if before_indent < indent and not opens:
        return None
    if opens or (before_indent == indent and not lines[before].lstrip().startswith("-")):
        how = f"the entries above and below it are indented by {indent} spaces; indent it like them"
    else:  # among the keys of a list item, say: their column is not simply the next line's
        how = "it sits between indented entries; indent it like the entries it belongs to"
    return above + 1, 1, f"'{key}' is not indented, so it reads as a section of its own, but {how}"


def _convert(node: Any, text: str, file: str, problems: list[PolicyProblem]) -> Node:
    line, col = node.start_mark.line + 1, node.start_mark.column + 1
    if isinstance(node, MappingNode):
        values: dict[str, Node] = {}
        key_at: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node) if isinstance(key_node, ScalarNode) else None
            if key is None and isinstance(key_node, ScalarNode) and key_node.value:
                key = key_node.value  # a key is a name: `null:` (intake's null tokens) is the name null
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
            value = _convert(value_node, text, file, problems)
            if value.value is None and value_node.value == "":
                # `key:` with nothing after it: ruamel marks the next line; name the key's.
                value.line, value.col = kline, kcol
            values[key] = value
            key_at[key] = (kline, kcol)
        return Node(values, line, col, key_at)
    if isinstance(node, SequenceNode):
        return Node([_convert(item, text, file, problems) for item in node.value], line, col)
    return Node(_scalar(node), line, col, text_col=_text_col(node, text))


def _text_col(node: ScalarNode, text: str) -> int | None:
    if node.start_mark.line != node.end_mark.line or node.style not in (None, "'", '"'):
        return None
    start = node.start_mark.index + (0 if node.style is None else 1)
    if text[start : start + len(node.value)] != node.value:
        return None  # an escape ('' or \n) shifted the characters
    return int(node.start_mark.column) + 1 + (0 if node.style is None else 1)


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
            pass
        try:
            return dt.datetime.fromisoformat(text)
        except ValueError:
            return text  # looks like a date but is none (2026-02-30): the checker says so
    return text
