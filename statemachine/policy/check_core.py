"""What every part of the policy check shares.

`CheckerCore` holds what the check has learnt so far (the problems found, and
what is too broken to judge further) and the readers every part uses: a node
read as a mapping, names, text, a flag or an expression, each reporting a
wrong shape at its file:line:col. The words messages share (`suggest`,
`listing`, `shown`) live here too.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ..errors import PolicyProblem
from ..expr import Expr, ExprError, compile_expr
from .load import Node
from .model import State


def suggest(word: str, choices: Iterable[str]) -> str:
    """'; did you mean ...?' for a near miss, ignoring case (sql -> SQL)."""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1)
    return f"; did you mean '{by_lower[close[0]]}'?" if close else ""


def listing(names: Iterable[str]) -> str:
    return ", ".join(names) or "none yet"


def shown(node: Node) -> str:
    """A node's value as a message quotes it."""
    if node.is_list:
        return "a list"
    if node.is_map:
        return "a set of entries"
    return "nothing" if node.value is None else f"'{node.value}'"


def _given(node: Node | None) -> bool:
    """Whether a key has a value: not missing, null, '' or []."""
    return node is not None and node.value not in (None, "", [], {})


class CheckerCore:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[PolicyProblem] = []
        # When `roles:` itself is malformed (already reported), every use of a
        # role would be "unknown" too: those follow-on errors are left out.
        self.roles_unreadable = False
        # A transition with a misspelt or missing state makes the reachability
        # checks wrong ("cannot be reached"), so they wait for that fix.
        self.moves_incomplete = False
        # Fields whose own definition is wrong (already reported): expressions
        # may still use their names without a second, misleading "unknown name".
        self.broken_fields: list[str] = []
        # choice field -> its values, for expressions comparing with text
        self.choices: dict[str, tuple[str, ...]] = {}

    # -- reporting -------------------------------------------------------------
    def err(self, where: Node | tuple[int, int], message: str) -> None:
        line, col = (where.line, where.col) if isinstance(where, Node) else where
        self.problems.append(PolicyProblem(self.file, line, col, message))

    def key(self, mapping: Node, key: str) -> tuple[int, int]:
        return mapping.key_at.get(key, (mapping.line, mapping.col))

    def keys(self, node: Node, allowed: Iterable[str], what: str) -> None:
        if not node.is_map:
            return  # `mapping` has said so already
        allowed = tuple(allowed)
        for key in node.value:
            if key not in allowed:
                self.err(
                    self.key(node, key),
                    f"unknown key '{key}' in {what} (keys: {', '.join(allowed)}){suggest(key, allowed)}",
                )

    def mapping(self, node: Node | None, what: str) -> dict[str, Node]:
        if node is None or node.value is None:
            return {}
        if not node.is_map:
            self.err(node, f"{what} must be a set of 'name: value' entries")
            return {}
        return node.value  # type: ignore[no-any-return]

    def names(self, node: Node | None, what: str) -> list[tuple[str, Node]]:
        """A name or a list of names, each with its node."""
        if node is None or node.value is None:
            return []
        items = node.value if node.is_list else [node]
        out = []
        for item in items:
            if isinstance(item.value, (str, int)) and not isinstance(item.value, bool):
                out.append((str(item.value), item))
            else:
                self.err(item, f"{what} must be a name or a list of names")
        return out

    def text(self, node: Node | None, what: str) -> str | None:
        if node is None or node.value is None:
            return None
        if isinstance(node.value, (dict, list)):
            self.err(node, f"{what} must be a single value, not a list or a set of entries")
            return None
        return str(node.value)

    def flag(self, node: Node | None, what: str) -> bool:
        if node is None:
            return False
        if not isinstance(node.value, bool):
            self.err(node, f"{what} must be true or false")
            return False
        return node.value

    def expr(self, node: Node, names: tuple[str, ...], what: str) -> Expr | None:
        value = node.value
        if isinstance(value, bool):
            source = "true" if value else "false"
        elif isinstance(value, (str, int, float)):
            source = str(value)
        else:
            self.err(node, f"{what} must be an expression, like score >= 60")
            return None
        try:
            return compile_expr(source, (*names, *self.broken_fields), self.choices)
        except ExprError as error:
            col = node.col if node.text_col is None else node.text_col + error.offset
            self.err((node.line, col), f"{what}: {error.reason}")
            return None

    def unknown_role(self, role: str, roles: dict[str, tuple[str, ...]], *also: str) -> bool:
        return role not in roles and role not in also and not self.roles_unreadable

    def _state_ref(self, name: str, node: Node, states: dict[str, State], what: str) -> bool:
        if name in states:
            return True
        if states:  # with no readable states, that problem is reported once, at `states:`
            self.err(node, f"{what} unknown state '{name}' (states: {', '.join(states)}){suggest(name, states)}")
        return False
