"""Behaviour of the policy expression language (statemachine/expr.py)."""
from __future__ import annotations

import pytest

from statemachine.expr import Expr, ExprError, compile_expr

KNOWN = frozenset({
    "score", "email", "phone", "state", "owner", "actor", "attempts",
    "hours_in_state", "authority", "persona", "budget", "company", "close_date",
})


def run(source: str, **env: object) -> object:
    return compile_expr(source, KNOWN)(env)


class CountingEnv(dict):
    """An environment that records which fields an expression reads."""

    def __init__(self, **fields: object) -> None:
        super().__init__(fields)
        self.reads: list[str] = []

    def get(self, key, default=None):  # type: ignore[override]
        self.reads.append(key)
        return super().get(key, default)


def refusal(source: str, known: frozenset[str] = KNOWN) -> ExprError:
    with pytest.raises(ExprError) as caught:
        compile_expr(source, known)
    return caught.value


# --- allowed constructs evaluate right ---------------------------------------

@pytest.mark.parametrize(("source", "expected"), [
    ("42", 42),
    ("2.5", 2.5),
    ("'single'", "single"),
    ('"double"', "double"),
    ("true", True),
    ("false", False),
    ("null", None),
    ("True", True),
    ("False", False),
    ("None", None),
    ("[1, 'a', null]", [1, "a", None]),
    ("[]", []),
])
def test_literals_evaluate_to_their_value(source: str, expected: object) -> None:
    assert run(source) == expected


def test_field_name_reads_the_environment() -> None:
    assert run("score", score=71) == 71


def test_unset_field_is_null() -> None:
    assert run("score") is None


@pytest.mark.parametrize(("source", "expected"), [
    ("score == 60", True), ("score != 60", False),
    ("score < 61", True), ("score <= 60", True),
    ("score > 59", True), ("score >= 61", False),
])
def test_comparisons(source: str, expected: bool) -> None:
    assert run(source, score=60) is expected


@pytest.mark.parametrize(("score", "expected"), [(0, False), (1, True), (99, True), (100, False)])
def test_chained_comparison_checks_every_link(score: int, expected: bool) -> None:
    assert run("0 < score < 100", score=score) is expected


def test_chained_comparison_reads_the_middle_operand_once() -> None:
    expr = compile_expr("0 < score < 100", KNOWN)
    assert expr(env := CountingEnv(score=50)) is True
    assert env.reads == ["score"]


def test_chained_comparison_stops_at_the_first_false_link() -> None:
    expr = compile_expr("score > 50 > attempts", KNOWN)
    assert expr(env := CountingEnv(score=10, attempts=1)) is False
    assert env.reads == ["score"]


def test_nested_chains_do_not_mix_up_their_operands() -> None:
    assert run("(1 < score < 3) == (10 < budget < 20)", score=2, budget=15) is True
    assert run("(1 < score < 3) == (10 < budget < 20)", score=2, budget=25) is False


@pytest.mark.parametrize(("persona", "expected"), [
    ("executive", True), ("manager", True), ("intern", False), (None, False),
])
def test_in_list(persona: str | None, expected: bool) -> None:
    assert run("persona in ['executive', 'manager']", persona=persona) is expected


def test_not_in_list() -> None:
    assert run("persona not in ['intern']", persona="executive") is True
    assert run("persona not in ['intern']", persona="intern") is False


def test_in_list_of_field_values() -> None:
    assert run("owner in [actor, 'admin']", owner="ana", actor="ana") is True


def test_in_string_finds_a_substring() -> None:
    assert run("'@' in email", email="ana@acme.io") is True


@pytest.mark.parametrize(("source", "expected"), [
    ("score + 5", 15), ("score - 5", 5), ("score * 3", 30), ("score / 4", 2.5),
    ("-score", -10), ("(score + 2) * 2", 24), ("score + 2 * 2", 14),
    ("'ab' + 'cd'", "abcd"),
])
def test_arithmetic(source: str, expected: object) -> None:
    assert run(source, score=10) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("len(company)", 4), ("lower(company)", "acme"), ("upper(company)", "ACME"),
    ("len([1, 2, 3])", 3), ("len(lower(company)) == 4", True),
])
def test_allowed_functions(source: str, expected: object) -> None:
    assert run(source, company="AcMe") == expected


def test_and_or_return_an_operand_like_python() -> None:
    assert run("email or phone", email="", phone="555-0100") == "555-0100"
    assert run("email and phone", email="a@b.c", phone="") == ""


def test_and_or_short_circuit() -> None:
    compile_expr("email or phone", KNOWN)(env := CountingEnv(email="a@b.c"))
    assert env.reads == ["email"]


def test_not_returns_a_bool() -> None:
    assert run("not email", email="") is True
    assert run("not email", email="a@b.c") is False


def test_parentheses_change_precedence() -> None:
    assert run("not (score > 5 and score < 8)", score=6) is False
    assert run("(not score > 5) and score < 8", score=6) is False
    assert run("score > 100 or score > 5 and score < 8", score=6) is True


def test_date_strings_compare_as_dates() -> None:
    assert run("close_date < '2024-10-01'", close_date="2024-09-30") is True
    assert run("close_date >= '2024-10-01'", close_date="2024-09-30") is False


def test_expression_may_span_lines() -> None:
    assert run("score >= 60\n  and email", score=70, email="a@b.c") == "a@b.c"


def test_leading_whitespace_is_fine() -> None:
    assert run("   score >= 60", score=70) is True


# --- truthiness ----------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("", False), (0, False), (0.0, False), (False, False), ([], False),
    ("x", True), (1, True), (-1, True), (True, True), (["a"], True),
])
def test_holds_uses_python_truthiness(value: object, expected: bool) -> None:
    assert compile_expr("email", KNOWN).holds({"email": value}) is expected


# --- null semantics --------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "score < 60", "score <= 60", "score > 60", "score >= 60",
    "60 < score", "60 >= score", "score < null", "0 < score < 100",
])
def test_ordering_with_null_is_false(source: str) -> None:
    assert run(source) is False


@pytest.mark.parametrize("source", ["score < 'abc'", "'abc' < score", "score >= [1]"])
def test_ordering_incomparable_types_is_false(source: str) -> None:
    assert run(source, score=5) is False


def test_null_equals_null() -> None:
    assert run("score == null") is True
    assert run("score != null") is False
    assert run("score == email") is True


def test_null_does_not_equal_a_value() -> None:
    assert run("score == 0") is False
    assert run("score != 0") is True


def test_in_null_is_false_and_not_in_null_is_true() -> None:
    assert run("'a' in persona") is False
    assert run("'a' not in persona") is True


def test_in_with_incomparable_container_is_false() -> None:
    assert run("5 in email", email="abc") is False
    assert run("persona in score", persona="x", score=3) is False


@pytest.mark.parametrize("source", [
    "score + 1", "1 - score", "score * 2", "score / 2", "-score", "score + null",
])
def test_arithmetic_with_null_is_null(source: str) -> None:
    assert run(source) is None


def test_division_by_zero_is_null() -> None:
    assert run("score / attempts", score=10, attempts=0) is None


@pytest.mark.parametrize("source", ["email + 1", "email - 1", "email / 2", "-email"])
def test_arithmetic_type_clash_is_null(source: str) -> None:
    assert run(source, email="a@b.c") is None


def test_multiplying_text_is_null() -> None:
    # Repetition of text would let a policy build gigantic strings.
    assert run("email * 1000000000", email="a@b.c") is None


@pytest.mark.parametrize("source", ["len(email)", "lower(email)", "upper(email)"])
def test_functions_of_null_are_null(source: str) -> None:
    assert run(source) is None


@pytest.mark.parametrize("source", ["lower(score)", "upper(score)", "len(score)"])
def test_functions_of_wrong_type_are_null(source: str) -> None:
    assert run(source, score=5) is None


def test_arithmetic_null_then_compared_is_false() -> None:
    assert run("score + 10 >= 60") is False


# --- the default policy's expressions --------------------------------------------

@pytest.mark.parametrize(("env", "expected"), [
    ({"score": 60}, True), ({"score": 85.5}, True), ({"score": 59}, False), ({}, False),
])
def test_default_policy_score_guard(env: dict, expected: bool) -> None:
    assert compile_expr("score >= 60", KNOWN).holds(env) is expected


@pytest.mark.parametrize(("env", "expected"), [
    ({"email": "ana@acme.io"}, True), ({"phone": "+1 555 0100"}, True),
    ({"email": "", "phone": None}, False), ({}, False),
])
def test_default_policy_reachable_checklist(env: dict, expected: bool) -> None:
    assert compile_expr("email or phone", KNOWN).holds(env) is expected


@pytest.mark.parametrize(("env", "expected"), [
    ({"authority": True}, True), ({"authority": False}, False), ({}, False),
])
def test_default_policy_authority_checklist(env: dict, expected: bool) -> None:
    assert compile_expr("authority == true", KNOWN).holds(env) is expected


@pytest.mark.parametrize(("env", "expected"), [
    ({"state": "new", "attempts": 0}, True),
    ({"state": "contacted", "attempts": 2}, False),
    ({"state": "contacted", "attempts": 3}, True),
    ({"state": "contacted"}, False),
])
def test_default_policy_attempts_guard(env: dict, expected: bool) -> None:
    source = "state != 'contacted' or attempts >= 3"
    assert compile_expr(source, KNOWN).holds(env) is expected


@pytest.mark.parametrize(("env", "expected"), [
    ({"persona": "executive"}, True), ({"persona": "manager"}, False), ({}, False),
])
def test_default_policy_persona_guard(env: dict, expected: bool) -> None:
    assert compile_expr("persona == 'executive'", KNOWN).holds(env) is expected


# --- the compiled result -----------------------------------------------------------

def test_expr_records_source_and_names_read() -> None:
    expr = compile_expr("state != 'contacted' or attempts >= 3 and true", KNOWN)
    assert isinstance(expr, Expr)
    assert expr.source == "state != 'contacted' or attempts >= 3 and true"
    assert expr.names == frozenset({"state", "attempts"})


def test_expr_is_reusable_across_environments() -> None:
    expr = compile_expr("score >= 60", KNOWN)
    assert [expr({"score": s}) for s in (10, 60, None, 90)] == [False, True, False, True]


def test_known_names_may_be_any_collection() -> None:
    assert compile_expr("score > 1", ["score"])({"score": 2}) is True


def test_compiled_code_has_no_builtins_and_reads_fields_only_by_key() -> None:
    expr = compile_expr("len(lower(email)) > 3 and score", KNOWN)
    assert expr.fn.__globals__["__builtins__"] == {}
    # User names appear only as string keys for env.get, never as Python names.
    assert "email" not in expr.fn.__code__.co_names
    assert "score" not in expr.fn.__code__.co_names
    assert "email" in expr.fn.__code__.co_consts


# --- refusals: exact words and where they point --------------------------------------

@pytest.mark.parametrize(("source", "reason", "offset"), [
    ("lead.score > 3", "'.' is not allowed; write the field name on its own", 4),
    ("score and (email) . x", "'.' is not allowed; write the field name on its own", 18),
    ("email[0] == 'a'", "picking items with [...] is not allowed", 5),
    ("email[1:]", "picking items with [...] is not allowed", 5),
    ("open('x')", "function calls are not allowed, except len(), lower(), upper()", 0),
    ("score and email.lower()", "function calls are not allowed, except len(), lower(), upper()", 10),
    ("len(email, phone)", "len() takes exactly one value, like len(email)", 0),
    ("score > lower()", "lower() takes exactly one value, like lower(email)", 8),
    ("upper(x=email)", "upper() takes exactly one value, like upper(email)", 0),
    ("lambda: 1", "'lambda' is not allowed", 0),
    ("[s for s in email]", "'for' inside an expression is not allowed", 0),
    ("f'{score}' == '1'", "f-strings are not allowed; use a plain 'string'", 0),
    ("(score := 5)", "':=' is not allowed; to compare, write ==", 1),
    ("score ** 2", "'**' is not allowed (arithmetic allows + - * /)", 6),
    ("score // 2", "'//' is not allowed (arithmetic allows + - * /)", 6),
    ("(score) % 2", "'%' is not allowed (arithmetic allows + - * /)", 8),
    ("email & phone", "'&' is not allowed; write 'and' (arithmetic allows + - * /)", 6),
    ("email | phone", "'|' is not allowed; write 'or' (arithmetic allows + - * /)", 6),
    ("score ^ 1", "'^' is not allowed (arithmetic allows + - * /)", 6),
    ("score << 1", "'<<' is not allowed (arithmetic allows + - * /)", 6),
    ("~score", "'~' in front of a value is not allowed", 0),
    ("+score", "'+' in front of a value is not allowed", 0),
    ("email is null", "'is' is not allowed; use == or !=", 6),
    ("email is not null", "'is not' is not allowed; use == or !=", 6),
    ("0 < score is 1", "'is' is not allowed; use == or !=", 10),
    ("persona in {'a': 1}", "curly braces {...} are not allowed; use a list [...]", 11),
    ("persona in {'a'}", "curly braces {...} are not allowed; use a list [...]", 11),
    ("persona in ('a', 'b')",
     "a group of values with commas is not allowed here; use a list [a, b]", 11),
    ("[*email]", "'*' in front of a value is not allowed", 1),
    ("score if email else 0", "'... if ... else ...' is not allowed; use 'and' / 'or'", 0),
    ("b'x' == email", "\"b'x'\" is not a value this language knows", 0),
    ("score == 2j", "'2j' is not a value this language knows", 9),
    ("...", "'...' is not a value this language knows", 0),
])
def test_refused_construct_says_why_and_where(source: str, reason: str, offset: int) -> None:
    err = refusal(source)
    assert (err.reason, err.offset) == (reason, offset)


@pytest.mark.parametrize(("source", "offset"), [
    ("_secret", 0), ("score > __class__", 8), ("__import__", 0),
])
def test_names_starting_with_underscore_are_refused(source: str, offset: int) -> None:
    err = refusal(source, KNOWN | {"_secret"})
    assert err.reason.startswith("names starting with '_' are not allowed")
    assert err.offset == offset


def test_unknown_name_suggests_the_closest_and_lists_known_names() -> None:
    err = refusal("scor >= 60", frozenset({"score", "attempts", "budget"}))
    assert err.reason == ("unknown name 'scor'; did you mean 'score'? "
                          "(known: attempts, budget, score)")
    assert err.offset == 0


def test_unknown_name_suggestion_ignores_case() -> None:
    err = refusal("Score >= 60", frozenset({"score", "attempts"}))
    assert err.reason.startswith("unknown name 'Score'; did you mean 'score'?")


def test_unknown_name_without_a_close_match_only_lists_known_names() -> None:
    err = refusal("score > 1 and zzz", frozenset({"score", "attempts"}))
    assert err.reason == "unknown name 'zzz' (known: attempts, score)"
    assert err.offset == 14


def test_unknown_name_when_nothing_is_known() -> None:
    assert refusal("score", frozenset()).reason == "unknown name 'score' (no names are known here)"


def test_function_name_without_a_call_is_an_unknown_name() -> None:
    assert refusal("lower").reason.startswith("unknown name 'lower'")


def test_offset_counts_characters_not_bytes() -> None:
    err = refusal("company == 'Zürich' and lead.x")
    assert err.offset == len("company == 'Zürich' and lead")


def test_offset_in_a_multiline_expression_is_into_the_original_text() -> None:
    source = "score >= 60\n  and lead.x"
    assert refusal(source).offset == source.index(".")


# --- user text never reaches eval ---------------------------------------------------

@pytest.mark.parametrize("source", [
    "__import__('os')",
    "__import__('os').system('true')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "open('/etc/passwd')",
    "eval('1')",
    "[c for c in ().__class__.__mro__]",
    "(lambda: 1)()",
])
def test_escape_attempts_are_refused_at_compile_time(source: str) -> None:
    refusal(source)


def test_dunder_attribute_is_refused_at_the_dot() -> None:
    err = refusal("().__class__")
    assert (err.reason, err.offset) == ("'.' is not allowed; write the field name on its own", 2)


def test_import_call_is_refused_as_a_call() -> None:
    err = refusal("__import__('os')")
    assert (err.reason, err.offset) == (
        "function calls are not allowed, except len(), lower(), upper()", 0)


# --- syntax errors and empty expressions ------------------------------------------

@pytest.mark.parametrize("source", ["", "   ", "\n\t"])
def test_empty_expression_is_refused(source: str) -> None:
    err = refusal(source)
    assert (err.reason, err.offset) == ("the expression is empty", 0)


@pytest.mark.parametrize(("source", "reason", "offset"), [
    ("score >= 60 and", "this is not a valid expression: it ends too early", 15),
    ("(score > 1", "this is not a valid expression: '(' was never closed", 0),
    ("persona == 'exec", "this is not a valid expression: unterminated string literal", 11),
    ("score = 60", "this is not a valid expression: to compare, write == instead of =", 6),
    ("score =< 60", "this is not a valid expression: write <= instead of =<", 6),
    ("score => 60", "this is not a valid expression: write >= instead of =>", 6),
    ("email && phone", "this is not a valid expression: write 'and' / 'or' instead of && / ||", 7),
    ("!email", "this is not a valid expression: write 'not' instead of !", 0),
    ("score 60", "this is not a valid expression: unexpected '60'", 6),
    ("[score email]",
     "this is not a valid expression: unexpected 'score'. Perhaps you forgot a comma?", 1),
    ("  score >", "this is not a valid expression: it ends too early", 9),
])
def test_syntax_error_says_why_and_where(source: str, reason: str, offset: int) -> None:
    err = refusal(source)
    assert (err.reason, err.offset) == (reason, offset)


def test_statements_are_not_expressions() -> None:
    assert refusal("import os").reason.startswith("this is not a valid expression")


def test_absurdly_nested_expression_is_an_expr_error() -> None:
    assert refusal("-" * 100_000 + "1").offset == 0


def test_expr_error_message_is_the_reason() -> None:
    err = ExprError("unknown name 'x'", 3)
    assert (str(err), err.reason, err.offset) == ("unknown name 'x'", "unknown name 'x'", 3)
