"""Properties of the policy loader (`statemachine.policy.parse_policy`): the
people who edit a policy make every slip an editor allows, so whatever the
text, the answer is a checked Policy or PolicyInvalid whose every problem
points at a place in the file (FILE:LINE:COL), never a traceback.

A text the loader accepts is also held to the editors' JSON Schema (the
session-wide wrapper in conftest.py). Bounded and seeded in CI;
`HYPOTHESIS_PROFILE=long` searches longer."""
from __future__ import annotations

import re

from conftest import DEFAULT_POLICY
from hypothesis import given
from hypothesis import strategies as st

import statemachine.policy
from statemachine.errors import PolicyInvalid
from statemachine.policy.model import Policy

FILE = "policy.yaml"
LINES = DEFAULT_POLICY.read_text(encoding="utf-8").splitlines(keepends=True)
# What a slip can put where a token was: YAML's own punctuation, words, nothing.
junk = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", ":", "- ", "[", "]", "{", "}", "'", '"', "&a", "*a", "!!str", "%YAML 1.1",
                     "---", "...", "#", "|", ">", "\t", "yes", "null", "~", "1e999", "-1", "\\"]),
)
line_index = st.integers(min_value=0, max_value=len(LINES) - 1)


@st.composite
def mutated_policy(draw: st.DrawFn) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        at = draw(line_index) % len(lines) if lines else 0
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "indent", "token"]))
        if not lines:
            lines.append(draw(junk) + "\n")
        elif kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = draw(line_index) % len(lines)
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == "indent":
            spaces = draw(st.integers(min_value=0, max_value=12))
            lines[at] = " " * spaces + lines[at].lstrip(" ")
        else:
            tokens = re.split(r"(\s+|[:\[\],{}])", lines[at])
            pick = draw(st.integers(min_value=0, max_value=len(tokens) - 1))
            tokens[pick] = draw(junk)
            lines[at] = "".join(tokens)
    return "".join(lines)


yamlish = st.lists(
    st.tuples(st.integers(min_value=0, max_value=6),
              st.sampled_from(["policy", "version", "states", "roles", "fields", "x", "- a", "-", "sla"]),
              st.sampled_from([":", ": ", ": [", ": {", " ", ""]),
              junk).map(lambda t: " " * t[0] + t[1] + t[2] + t[3]),
    max_size=12,
).map("\n".join)


def assert_policy_or_located_problems(text: str) -> None:
    try:
        policy = statemachine.policy.parse_policy(text, FILE)
    except PolicyInvalid as invalid:
        assert invalid.problems, "refused without saying why"
        last_line = len(text.splitlines()) + 1
        for problem in invalid.problems:
            assert problem.file == FILE, str(problem)
            assert 1 <= problem.line <= last_line, f"{problem} points past the end ({last_line - 1} lines)"
            assert problem.col >= 1, str(problem)
            assert problem.message.strip(), str(problem)
    else:
        assert isinstance(policy, Policy)


@given(mutated_policy())
def test_a_mangled_default_policy_is_loaded_or_refused_at_a_place(text: str) -> None:
    assert_policy_or_located_problems(text)


@given(yamlish)
def test_yaml_like_text_is_loaded_or_refused_at_a_place(text: str) -> None:
    assert_policy_or_located_problems(text)


@given(st.text())
def test_any_text_is_loaded_or_refused_at_a_place(text: str) -> None:
    assert_policy_or_located_problems(text)
