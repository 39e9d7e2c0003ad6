"""One vocabulary: the names of the events Baton writes belong to Baton. A
policy may not give them to a transition, a state or a checklist, and
`audit verify` names an event that is neither Baton's nor a trigger."""

from __future__ import annotations

from pathlib import Path

from conftest import DEFAULT_POLICY, Baton
from test_audit import forge, problems

from statemachine.events import BATON_EVENTS

NAMES = ", ".join(BATON_EVENTS)


def located(text: str, needle: str) -> tuple[int, int]:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number, line.index(needle.strip()) + 1
    raise AssertionError(needle)


def test_a_transition_named_like_a_baton_event_is_refused_where_it_stands(baton: Baton, tmp_path: Path) -> None:
    """Before, `attempt` passed the check; fired, it printed "Logged a contact
    attempt", left the lead where it was and routed it again."""
    text = DEFAULT_POLICY.read_text().replace("  contact: {from: accepted", "  attempt: {from: accepted", 1)
    path = tmp_path / "p.yaml"
    path.write_text(text)
    line, col = located(text, "  attempt: {from: accepted")
    result = baton("policy", "check", str(path))
    assert result.exit_code == 1
    assert (f"{path}:{line}:{col}: transition name 'attempt' is taken: Baton's log writes 'attempt' events of "
            f"its own (its names: {NAMES}); call the transition something else") in result.stderr.splitlines()


def test_a_state_or_checklist_named_like_a_baton_event_is_refused(baton: Baton, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text().replace("  qualification:               # BANT", "  moved:", 1)
    text = text.replace("checklist: qualification", "checklist: moved").replace("  won: {final: true", "  erased: {final: true")
    text = text.replace("to: won", "to: erased")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    stderr = baton("policy", "check", str(path)).stderr
    line, col = located(text, "  erased: {final: true")
    assert (f"{path}:{line}:{col}: state name 'erased' is taken: Baton's log writes 'erased' events of its own "
            f"(its names: {NAMES}); call the state something else") in stderr.splitlines()
    line, col = located(text, "  moved:")
    assert (f"{path}:{line}:{col}: checklist name 'moved' is taken: Baton's log writes 'moved' events of its own "
            f"(its names: {NAMES}); call the checklist something else") in stderr.splitlines()


def test_verify_names_an_event_of_no_lead_that_is_not_one_of_batons(baton: Baton, db: Path) -> None:
    seq = forge(db, None, "jane", "discount_granted", None, None, {"percent": 50})
    assert (f"seq {seq}: 'discount_granted' is not an event Baton writes, and an event of no lead cannot be a "
            f"transition (Baton's events: {NAMES})") in problems(baton("audit", "verify"))


def test_verify_names_a_lead_event_that_is_neither_batons_nor_a_trigger(baton: Baton, db: Path) -> None:
    assert baton("lead", "add", "--id", "L-1", "score=10").exit_code == 0
    seq = forge(db, "L-1", "jane", "fast_track", "MQL", "SQL")
    assert f"seq {seq}: 'fast_track' is not a transition of policy version 1" in "\n".join(
        problems(baton("audit", "verify")))
