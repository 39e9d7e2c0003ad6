"""Properties of the policy expression language (statemachine/expr.py): a
policy is text anyone with the file can edit, so whatever its guards say,
compiling them either gives a closure inside the whitelist or refuses with
ExprError (which the checker turns into a located problem), and a compiled
guard run against any half-filled lead answers true or false, never raises.

Bounded and seeded in CI; `HYPOTHESIS_PROFILE=long` searches longer."""
from __future__ import annotations

import ast
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from statemachine.expr import FUNCTIONS, ExprError, compile_expr

KNOWN = frozenset({"score", "email", "persona", "budget", "attempts"})
CHOICES = {"persona": ("manager", "executive", "practitioner")}
CONSTANT_NAMES = {"true", "false", "null", "True", "False", "None"}

# The pieces: allowed ones and ones a whitelist must refuse, mixed freely.
names = st.sampled_from([*sorted(KNOWN), "true", "false", "null", "None", "unknown",
                         "_secret", "__import__", "__builtins__", "e", "_lt", "eval"])
literals = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["10" * 200, "0", "1e308", "1.5", "0.0", "b'x'", "...", "1j", "0x1F"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=8).map(repr),
    st.sampled_from(CHOICES["persona"] + ("exec",)).map(repr),
)
leaves = st.one_of(names, literals)


def combine(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    two = st.tuples(inner, inner)
    return st.one_of(
        st.tuples(inner, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "is", "is not"]), inner)
        .map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "**", "//", "%", "&", "|", "^", "<<", "@"]), inner)
        .map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        st.tuples(st.sampled_from(["not ", "-", "+", "~"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(["in", "not in"]), st.lists(inner, max_size=3))
        .map(lambda t: f"({t[0]}) {t[1]} [{', '.join(t[2])}]"),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]}) < ({t[1]}) <= ({t[2]})"),
        st.tuples(st.sampled_from([*FUNCTIONS, "__import__", "eval", "open", "getattr", "exec", "type"]),
                  st.lists(inner, max_size=2))
        .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        st.tuples(inner, st.sampled_from(["__class__", "__globals__", "lower", "mro"]))
        .map(lambda t: f"({t[0]}).{t[1]}"),
        two.map(lambda t: f"({t[0]})[{t[1]}]"),
        inner.map(lambda s: f"(lambda: {s})()"),
        inner.map(lambda s: f"[x for x in {s}]"),
        inner.map(lambda s: f"{{x: 1 for x in {s}}}"),
        two.map(lambda t: f"({t[0]}) if ({t[1]}) else 0"),
        two.map(lambda t: f"({t[0]}, {t[1]})"),
        two.map(lambda t: f"{{{t[0]}: {t[1]}}}"),
        inner.map(lambda s: f"f'{{{s}}}'"),
        inner.map(lambda s: f"(score := {s})"),
        inner.map(lambda s: f"[*{s}]"),
        st.lists(inner, max_size=3).map(lambda xs: f"[{', '.join(xs)}]"),
    )


expressions = st.recursive(leaves, combine, max_leaves=12)

# What a half-filled lead holds: any of the declared names, each absent or of any type.
values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**400),
    st.floats(), st.text(max_size=10), st.lists(st.integers(), max_size=3),
)
envs = st.dictionaries(st.sampled_from(sorted(KNOWN)), values)


def compile_or_refuse(source: str) -> Any:
    """The compiled expression, or None when refused; any other exception fails the test."""
    try:
        return compile_expr(source, KNOWN, CHOICES)
    except ExprError as refused:
        assert refused.reason.strip(), f"{source!r} is refused without a reason"
        assert 0 <= refused.offset <= len(source), f"{source!r}: offset {refused.offset} is outside the text"
        return None


def assert_inside_whitelist(source: str) -> None:
    """What the language promises, checked on the user's own tree,
    independently of how the compiler walks it."""
    tree = ast.parse(source.strip(), mode="eval")
    allowed = (ast.Expression, ast.Constant, ast.Name, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp,
               ast.Not, ast.USub, ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Compare,
               ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.List,
               ast.Load, ast.Call)
    for node in ast.walk(tree):
        assert isinstance(node, allowed), f"{source!r} compiled, yet holds {type(node).__name__}"
        if isinstance(node, ast.Name):
            assert node.id in KNOWN or node.id in CONSTANT_NAMES or node.id in FUNCTIONS, \
                f"{source!r} compiled, yet reads {node.id!r}"
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS, \
                f"{source!r} compiled, yet calls {ast.unparse(node.func)!r}"
        if isinstance(node, ast.Constant):
            assert node.value is None or isinstance(node.value, (bool, int, float, str)), \
                f"{source!r} compiled, yet holds the value {node.value!r}"


@given(expressions)
def test_an_expression_compiles_inside_the_whitelist_or_is_refused(source: str) -> None:
    compiled = compile_or_refuse(source)
    if compiled is not None:
        assert_inside_whitelist(source)
        assert compiled.names <= KNOWN


@given(expressions, st.lists(envs, min_size=1, max_size=4))
def test_a_compiled_expression_answers_true_or_false_on_any_lead(source: str, leads: list[dict[str, Any]]) -> None:
    # A missing value or a type clash ('abc' < 5, 'x' + 1) makes a guard
    # false, never an error that would block every move of the lead.
    compiled = compile_or_refuse(source)
    if compiled is None:
        return
    for lead in leads:
        assert compiled.holds(lead) in (True, False)


@given(st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "+", "-", "*", "/"]),
       st.sampled_from(["", "not ", "-"]), values, values)
@example("*", "", 10**400, 1.5)  # found by the long run: an OverflowError escaped
def test_every_operator_answers_on_values_of_any_type(op: str, prefix: str, left: Any, right: Any) -> None:
    # The same promise, aimed: each operator between two fields of any types.
    compiled = compile_expr(f"{prefix}score {op} budget", KNOWN)
    assert compiled.holds({"score": left, "budget": right}) in (True, False)


def test_a_product_too_large_for_a_decimal_number_is_null() -> None:
    # A policy may write a literal of any length: `1000...0 * budget > 5`.
    # Python's int * float overflows there; the guard is false, like any clash.
    guard = compile_expr("1" + "0" * 400 + " * budget > 5", KNOWN)
    assert guard({"budget": 2.5}) is False
    assert compile_expr("1" + "0" * 400 + " * budget", KNOWN)({"budget": 2.5}) is None


@given(st.text())
def test_any_text_compiles_or_is_refused_with_a_reason(source: str) -> None:
    compile_or_refuse(source)


@given(st.text(alphabet=st.sampled_from(list("scoremail_()[]'\".,:=<>!&|+-*/%~ 019\\\n\t{}@#")), max_size=40))
def test_text_made_of_expression_characters_compiles_or_is_refused(source: str) -> None:
    compile_or_refuse(source)
