"""`--where EXPR`: picking leads with the policy's own expression language.

An operator's expression is checked and compiled as a guard in the policy
is (the same names, the same null-safe rules), and judged on each lead's
env as the machine sees it, so `hours_in_state` and `actor` mean what they
mean in guards.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .errors import BadWhere
from .expr import Expr, ExprError, compile_expr
from .lifecycle import Row, view
from .policy.model import Policy
from .workspace import Workspace


def compile_where(policy: Policy, source: str) -> Expr:
    """`source` as an expression over `policy`'s names, or BadWhere saying
    where in it the problem starts.

    Besides the choice fields, `state` is checked against the policy's
    states, so `state == 'SQl'` is refused with a did-you-mean instead of
    quietly matching nothing."""
    choices: dict[str, tuple[str, ...]] = {
        name: spec.choices for name, spec in policy.fields.items() if spec.choices
    }
    choices["state"] = tuple(policy.states)
    try:
        return compile_expr(source, policy.expression_names, choices)
    except ExprError as error:
        raise BadWhere(source, error.offset, error.reason) from None


def holds_for(ws: Workspace, where: Expr, row: Row) -> bool:
    """Whether `where` holds for the lead of `row`, for the acting person now."""
    return where.holds(view(row).env(ws.actor, ws.now))


def matching(ws: Workspace, where: Expr, rows: Iterable[Row]) -> Iterator[Row]:
    """The rows of `rows` for which `where` holds."""
    return (row for row in rows if holds_for(ws, where, row))
