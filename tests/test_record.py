"""A Record behaves as the frozen dataclass it replaces: the policy model,
expressions and clocks are compared, hashed, printed and guarded against
change exactly as before."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest

from statemachine.record import Record


class Rule(Record):
    name: str
    sources: tuple[str, ...]
    dest: str = "SAL"
    by: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class RuleAsDataclass:
    name: str
    sources: tuple[str, ...]
    dest: str = "SAL"
    by: tuple[str, ...] = ()


@pytest.mark.parametrize(("args", "kwargs"), [
    (("hand_over", ("MQL",)), {}),
    (("hand_over",), {"sources": ("MQL",), "by": ("marketing",)}),
    ((), {"name": "qualify", "sources": ("SAL",), "dest": "SQL"}),
])
def test_built_and_shown_as_the_dataclass(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    record, plain = Rule(*args, **kwargs), RuleAsDataclass(*args, **kwargs)
    assert vars(record) == vars(plain)
    assert list(vars(record)) == ["name", "sources", "dest", "by"]
    assert repr(record) == repr(plain).replace("RuleAsDataclass", "Rule")
    assert hash(record) == hash(plain)


def test_equal_by_value_and_only_to_its_own_class() -> None:
    rule = Rule("hand_over", ("MQL",))
    assert rule == Rule("hand_over", ("MQL",), "SAL", ())
    assert rule != Rule("hand_over", ("MQL",), by=("sales",))
    assert rule != RuleAsDataclass("hand_over", ("MQL",))
    assert rule != ("hand_over", ("MQL",), "SAL", ())
    assert len({rule, Rule("hand_over", ("MQL",))}) == 1


def test_fields_cannot_change() -> None:
    rule = Rule("hand_over", ("MQL",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        rule.dest = "SQL"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del rule.dest  # type: ignore[misc]
    assert rule.dest == "SAL"


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {"sources": ()}, "Rule() missing required argument: 'name'"),
    (("a", (), "b", (), "c"), {}, "Rule() takes 4 arguments but 5 were given"),
    (("a", ()), {"guard": "x"}, "Rule() got an unexpected keyword argument 'guard'"),
    (("a", ()), {"name": "b"}, "Rule() got multiple values for argument 'name'"),
])
def test_wrong_arguments_are_refused(args: tuple[Any, ...], kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError) as refused:
        Rule(*args, **kwargs)
    assert str(refused.value) == message


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'dest' follows default argument"):
        class Broken(Record):
            sources: tuple[str, ...] = ()
            dest: str


def test_a_subclass_adds_its_fields_after_its_parents() -> None:
    class Timed(Rule):
        within: int = 4

    timed = Timed("hand_over", ("MQL",), within=8)
    assert list(vars(timed)) == ["name", "sources", "dest", "by", "within"]
    assert timed != Rule("hand_over", ("MQL",))


def test_survives_pickling() -> None:
    rule = Rule("hand_over", ("MQL",), by=("marketing",))
    assert pickle.loads(pickle.dumps(rule)) == rule
