"""Behaviour of the policy loader and checker (statemachine/policy) and of
`baton policy check`: every problem is named as FILE:LINE:COL in plain words,
all of them at once, in line order."""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent, indent

import pytest
from click.testing import CliRunner

from cli.main import cli
from statemachine.errors import PolicyInvalid
from statemachine.policy import parse_policy, read_policy_file
from statemachine.policy.model import Policy, from_plain, to_plain

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_POLICY = ROOT / "policies" / "default.yaml"

# The smallest policy worth checking; tests change one thing in it.
# Line numbers used below: roles 3-5, fields 6-7, states 8-11, initial 12,
# transitions 13-15.
MINIMAL = dedent("""\
    policy: tiny
    version: 1
    roles:
      sales: [alice, bob]
      sales_manager: [sam]
    fields:
      score: {type: integer}
    states:
      new: {owner: sales}
      working: {owner: sales}
      done: {final: true}
    initial: new
    transitions:
      start: {from: new, to: working, by: [sales]}
      finish: {from: working, to: done, by: [owner, system]}
    """)


def edited(old: str, new: str, text: str = MINIMAL) -> str:
    """`text` with its one `old` replaced by `new`."""
    assert text.count(old) == 1, f"{old!r} is not unique in the policy"
    return text.replace(old, new)


def plus(extra: str) -> str:
    """MINIMAL with more top-level YAML after it."""
    return MINIMAL + dedent(extra)


def problems(text: str, file: str = "p.yaml") -> list[str]:
    """Every problem `text` has, as the CLI prints them."""
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(text, file)
    return [str(problem) for problem in caught.value.problems]


def position(text: str, needle: str) -> str:
    """LINE:COL of the first `needle` in `text`, as editors count (from 1)."""
    index = text.index(needle)
    return f"{text.count(chr(10), 0, index) + 1}:{index - text.rfind(chr(10), 0, index)}"


def default_text() -> str:
    return DEFAULT_POLICY.read_text(encoding="utf-8")


# --- valid policies ------------------------------------------------------------

def test_minimal_policy_is_valid() -> None:
    policy = parse_policy(MINIMAL, "p.yaml")
    assert (policy.name, policy.version, policy.initial) == ("tiny", 1, "new")
    assert list(policy.states) == ["new", "working", "done"]


def test_default_policy_is_valid() -> None:
    _, policy = read_policy_file(str(DEFAULT_POLICY))
    assert (policy.name, policy.version, policy.initial) == ("default-handover", 1, "MQL")
    assert list(policy.states) == ["MQL", "SAL", "SQL", "accepted", "contacted", "won", "disqualified", "recycled"]
    assert policy.timezone == "Europe/London"


def test_default_policy_survives_the_json_cache_round_trip() -> None:
    _, policy = read_policy_file(str(DEFAULT_POLICY))
    cached = from_plain(json.loads(json.dumps(to_plain(policy))))

    assert isinstance(cached, Policy)
    assert cached.transitions.keys() == policy.transitions.keys()
    for name, transition in policy.transitions.items():
        again = cached.transitions[name]
        assert (again.sources, again.dest, again.by, again.checklists, again.requires) == (
            transition.sources, transition.dest, transition.by, transition.checklists, transition.requires)
        assert [(g.expr.source, g.say) for g in again.guards] == [(g.expr.source, g.say) for g in transition.guards]
    assert {k: [(label, e.source) for label, e in c.items] for k, c in cached.checklists.items()} == {
        k: [(label, e.source) for label, e in c.items] for k, c in policy.checklists.items()}
    assert policy.routing is not None and cached.routing is not None
    assert cached.routing.on == policy.routing.on == ("SQL",)
    assert [(r.assign, r.strategy, r.when and r.when.source) for r in cached.routing.rules] == [
        (r.assign, r.strategy, r.when and r.when.source) for r in policy.routing.rules]
    assert cached.sla == policy.sla
    assert (cached.fields, cached.states, cached.roles, cached.business_hours) == (
        policy.fields, policy.states, policy.roles, policy.business_hours)
    assert to_plain(cached) == to_plain(policy)


def test_cached_guards_still_decide() -> None:
    _, policy = read_policy_file(str(DEFAULT_POLICY))
    cached = from_plain(json.loads(json.dumps(to_plain(policy))))
    guard = cached.transitions["recycle"].guards[0]
    assert guard.expr.holds({"state": "contacted", "attempts": 3})
    assert not guard.expr.holds({"state": "contacted", "attempts": 2})


# --- YAML itself ------------------------------------------------------------------

def test_unclosed_list_is_shown_where_it_opens() -> None:
    text = edited("  sales: [alice, bob]", "  sales: [alice, bob")
    assert problems(text) == [
        "p.yaml:4:10: this is not valid YAML: the list that opens here with '[' is not closed: "
        "add ']' (or a missing comma)"
    ]


def test_colon_inside_a_value_is_explained() -> None:
    text = edited("new: {owner: sales}", "new: {owner: sales}\n  won: note: closed")
    assert problems(text) == [
        "p.yaml:10:12: this is not valid YAML: a ':' is not expected here; check this line's "
        "indentation, or put text containing ': ' in quotes"
    ]


def test_tab_indentation_is_explained() -> None:
    text = edited("  new: {owner: sales}", "\tnew: {owner: sales}")
    assert problems(text) == ["p.yaml:9:1: this is not valid YAML: tabs cannot indent YAML; use spaces"]


# -- a misindented line is named at its own line ----------------------------------------
DEDENTED = ("this is not valid YAML: '{}' is not indented, so it reads as a section of its own, but the "
            "entries above and below it are indented by 2 spaces; indent it like them")
OFF_INDENT = ("this is not valid YAML: the indentation here does not match the lines above; "
              "line it up with the entries it belongs to")


def line_of(text: str, line: str) -> int:
    return text.splitlines().index(line) + 1


def test_a_key_dedented_to_column_1_is_named_at_its_own_line_not_the_next() -> None:
    """YAML reads `working:` at column 1 as a section of its own and stumbles
    only at `done:`, still indented; the head must be sent to `working`."""
    text = edited("  working: {owner: sales}", "working: {owner: sales}")
    assert problems(text) == [f"p.yaml:10:1: {DEDENTED.format('working')}"]


def test_the_first_key_of_a_section_dedented_is_named_at_its_own_line() -> None:
    text = edited("  sales: [alice, bob]", "sales: [alice, bob]")
    assert problems(text) == [f"p.yaml:4:1: {DEDENTED.format('sales')}"]


def test_a_dedented_key_is_named_across_comments_and_blank_lines() -> None:
    text = edited("  sales_manager: [sam]\n", "sales_manager: [sam]\n\n  # the heads\n",
                  DEFAULT_POLICY.read_text(encoding="utf-8"))
    assert problems(text) == [f"p.yaml:{line_of(text, 'sales_manager: [sam]')}:1: {DEDENTED.format('sales_manager')}"]


def test_a_key_of_a_list_item_dedented_to_column_1_is_named_at_its_own_line() -> None:
    text = edited("      assign: [carol]", "assign: [carol]", DEFAULT_POLICY.read_text(encoding="utf-8"))
    assert problems(text) == [
        f"p.yaml:{line_of(text, 'assign: [carol]          # our senior rep takes the executives')}:1: this is not "
        "valid YAML: 'assign' is not indented, so it reads as a section of its own, but it sits between "
        "indented entries; indent it like the entries it belongs to"
    ]


def test_a_real_section_before_an_overindented_line_is_not_blamed() -> None:
    """`initial:` belongs at column 1; the line after it is the slip."""
    text = edited("initial: new\n", "initial: new\n  extra: x\n")
    assert [problem.split(": ", 1)[0] for problem in problems(text)] == ["p.yaml:13:8"]


def test_an_overindented_key_is_named_at_its_own_line() -> None:
    text = edited("  finish:", "    finish:")
    assert problems(text) == [f"p.yaml:15:5: {OFF_INDENT}"]


@pytest.mark.parametrize("item", ["      - assign: [alice, bob]", "  - assign: [alice, bob]"])
def test_a_list_item_indented_off_its_list_is_named_at_its_own_line(item: str) -> None:
    text = edited("    - assign: [alice, bob]", item, DEFAULT_POLICY.read_text(encoding="utf-8"))
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith(item))
    assert problems(text) == [f"p.yaml:{line}:{item.index('-') + 1}: {OFF_INDENT}"]


def test_a_tab_before_a_list_item_is_named_at_its_line() -> None:
    text = edited("    - assign: [alice, bob]", "\t- assign: [alice, bob]", DEFAULT_POLICY.read_text(encoding="utf-8"))
    line = next(n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith("\t"))
    assert problems(text) == [f"p.yaml:{line}:1: this is not valid YAML: tabs cannot indent YAML; use spaces"]


def test_policy_check_names_the_dedented_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    text = edited("  sales_manager: [sam]\n", "sales_manager: [sam]\n", DEFAULT_POLICY.read_text(encoding="utf-8"))
    policy.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["policy", "check", str(policy)])
    assert result.exit_code == 1
    assert result.stderr == f"{policy}:{line_of(text, 'sales_manager: [sam]')}:1: {DEDENTED.format('sales_manager')}\n"


def test_a_second_document_is_refused() -> None:
    assert problems(MINIMAL + "---\npolicy: other\n") == [
        "p.yaml:16:1: this is not valid YAML: a second document starts here ('---'); "
        "a policy file holds exactly one policy"
    ]


def test_yaml_alias_is_refused() -> None:
    text = edited("  sales_manager: [sam]", "  managers: &bosses [sam]\n  sales_manager: *bosses")
    assert problems(text) == [
        "p.yaml:6:18: aliases (*bosses) are not allowed in a policy; write the value out in full"
    ]


def test_billion_laughs_fails_at_its_first_alias() -> None:
    """Nine levels of nine-fold aliases would expand to a billion strings;
    aliases are refused on the event stream, before anything is built."""
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, 10):
        lines.append(f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]")
    text = "\n".join(lines) + "\n"
    assert problems(text) == [
        "p.yaml:2:14: aliases (*lol0) are not allowed in a policy; write the value out in full"
    ]


def test_yaml_tags_are_refused() -> None:
    text = edited("version: 1", "version: !!python/object:os.system 1")
    assert problems(text) == [
        "p.yaml:2:10: YAML tags (!!python/object:os.system) are not allowed in a policy; "
        "remove !!python/object:os.system"
    ]


def test_yaml_1_1_directive_is_refused() -> None:
    assert problems("%YAML 1.1\n---\n" + MINIMAL) == [
        "p.yaml:1:1: policies are YAML 1.2, but this file says %YAML 1.1; remove that line"
    ]


def test_yaml_1_2_directive_is_accepted() -> None:
    assert parse_policy("%YAML 1.2\n---\n" + MINIMAL, "p.yaml").name == "tiny"


def test_on_is_an_ordinary_key() -> None:
    """YAML 1.1 would read `on` as true; policies are YAML 1.2."""
    policy = parse_policy(plus("""\
        routing:
          on: working
          rules:
            - assign: [alice, bob]
        """), "p.yaml")
    assert policy.routing is not None
    assert policy.routing.on == ("working",)


def test_yes_and_no_stay_strings() -> None:
    text = edited("score: {type: integer}", "answer: {type: choice, values: [yes, no, maybe], default: no}")
    field = parse_policy(text, "p.yaml").fields["answer"]
    assert field.choices == ("yes", "no", "maybe")
    assert field.default == "no"


def test_yes_is_not_true_or_false() -> None:
    text = edited("done: {final: true}", "done: {final: yes}")
    assert problems(text) == [
        "p.yaml:11:3: state 'done' has no way out: add a transition from it or mark it `final: true`",
        "p.yaml:11:17: final must be true or false",
    ]


def test_nul_byte_is_refused_where_it_is() -> None:
    text = edited("policy: tiny", "policy: ti\x00ny")
    assert problems(text) == [
        "p.yaml:1:11: the file contains a NUL byte, so it is not a text file; is it really a YAML policy?"
    ]


def test_control_character_is_refused_where_it_is() -> None:
    text = edited("policy: tiny", "policy: ti\x07ny")
    assert problems(text) == [
        "p.yaml:1:11: the file contains an invisible control character (U+0007) here; delete it"
    ]


def test_non_utf8_file_is_refused_where_the_bad_byte_is(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(MINIMAL.replace("policy: tiny", "policy: caf\xe9").encode("latin-1"))
    with pytest.raises(PolicyInvalid) as caught:
        read_policy_file(str(path))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1:12: the file is not UTF-8 text; save it as UTF-8 in your editor"
    ]


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    text, policy = read_policy_file(str(path))
    assert text == MINIMAL
    assert policy.name == "tiny"


def test_missing_file_is_a_policy_problem(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    with pytest.raises(PolicyInvalid) as caught:
        read_policy_file(str(path))
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:1:1: cannot read the file: No such file or directory"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"], ids=["empty", "blank", "comment"])
def test_empty_file_is_refused(text: str) -> None:
    assert problems(text) == ["p.yaml:1:1: the policy file is empty"]


def test_top_level_list_is_refused() -> None:
    assert problems("- policy: tiny\n- version: 1\n") == [
        "p.yaml:1:1: a policy must be a set of 'key: value' entries (policy, version, states, ...)"
    ]


# --- unknown keys -------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "expected"), [
    ("initial: new", "initial: new\nstats: {}",
     "p.yaml:13:1: unknown key 'stats' in the policy (keys: policy, version, "
     "description, timezone, business_hours, roles, fields, states, initial, checklists, transitions, "
     "routing, sla, notify, approvals, erasure, clock, identity, logins, audit, api, intake); did you mean 'states'?"),
    ("{type: integer}", "{type: integer, persnal: true}",
     "p.yaml:7:26: unknown key 'persnal' in field 'score'"
     " (keys: type, personal, values, default, description); did you mean 'personal'?"),
    ("done: {final: true}", "done: {final: true, ownr: sales}",
     "p.yaml:11:23: unknown key 'ownr' in state 'done' (keys: owner, final, description); did you mean 'owner'?"),
    ("to: working, by: [sales]}", "to: working, by: [sales], wen: score > 1}",
     "p.yaml:14:48: unknown key 'wen' in transition 'start'"
     " (keys: from, to, by, when, checklist, requires, description); did you mean 'when'?"),
], ids=["top level", "field", "state", "transition"])
def test_unknown_key_is_named_with_a_suggestion(old: str, new: str, expected: str) -> None:
    assert problems(edited(old, new)) == [expected]


def test_unknown_key_in_a_routing_rule() -> None:
    text = plus("""\
        routing:
          on: working
          rules:
            - assign: [alice, bob]
              stratgy: least_loaded
        """)
    assert problems(text) == [
        "p.yaml:20:7: unknown key 'stratgy' in routing rule 1"
        " (keys: when, assign, strategy); did you mean 'strategy'?"
    ]


def test_unknown_key_in_an_sla_clock() -> None:
    text = plus("""\
        sla:
          - name: pick_up
            state: working
            within: 4h
            buisness: true
        """)
    assert problems(text) == [
        "p.yaml:20:5: unknown key 'buisness' in an SLA clock"
        " (keys: name, state, within, business, breach); did you mean 'business'?"
    ]


def test_unknown_key_in_an_sla_breach() -> None:
    text = plus("""\
        sla:
          - name: pick_up
            state: working
            within: 4h
            breach: {notfy: [sales_manager]}
        """)
    assert problems(text) == [
        "p.yaml:20:14: unknown key 'notfy' in SLA 'pick_up' breach"
        " (keys: notify, reassign, fire, reason); did you mean 'notify'?"
    ]


# --- states and the lifecycle graph -----------------------------------------------

def test_unknown_state_names_the_states_and_suggests_one() -> None:
    """The example of the product contract, on the default policy."""
    text = edited("qualify: {from: SAL, to: SQL,", "qualify: {from: SAL, to: SQl,", default_text())
    assert problems(text, "policies/acme.yaml") == [
        f"policies/acme.yaml:{position(text, 'SQl')}: transition 'qualify' goes to unknown state 'SQl' "
        "(states: MQL, SAL, SQL, accepted, contacted, won, disqualified, recycled); did you mean 'SQL'?"
    ]


def test_unknown_state_suggestion_ignores_case() -> None:
    text = edited("from: new, to: working", "from: NEW, to: working")
    assert problems(text) == [
        "p.yaml:14:17: transition 'start' comes from unknown state 'NEW'"
        " (states: new, working, done); did you mean 'new'?"
    ]


def test_unknown_initial_state() -> None:
    assert problems(edited("initial: new", "initial: nwe")) == [
        "p.yaml:12:10: initial state 'nwe' is not a state (states: new, working, done); did you mean 'new'?"
    ]


def test_unreachable_state() -> None:
    text = edited("  done: {final: true}", "  done: {final: true}\n  lost: {final: true}")
    assert problems(text) == [
        "p.yaml:12:3: state 'lost' cannot be reached from 'new': add a transition into it or remove it"
    ]


def test_misspelt_state_is_not_also_called_unreachable() -> None:
    """The state a typo was meant to reach is reported once, at the typo."""
    assert problems(edited("to: done", "to: dne")) == [
        "p.yaml:15:31: transition 'finish' goes to unknown state 'dne'"
        " (states: new, working, done); did you mean 'done'?"
    ]


def test_transition_out_of_a_final_state() -> None:
    text = MINIMAL + "  reopen: {from: done, to: new, by: [sales_manager]}\n"
    assert problems(text) == [
        "p.yaml:16:18: transition 'reopen' leaves 'done', which is final: nothing may leave a final state "
        "(remove it from `from` or make 'done' not final)"
    ]


def test_open_state_with_no_way_out() -> None:
    assert problems(edited("done: {final: true}", "done: {owner: sales}")) == [
        "p.yaml:11:3: state 'done' has no way out: add a transition from it or mark it `final: true`"
    ]


def test_transition_with_nothing_in_it_names_what_it_needs() -> None:
    text = edited("  finish: {from: working, to: done, by: [owner, system]}", "  finish:")
    assert problems(text) == [
        "p.yaml:15:3: transition 'finish' needs `from:`, the state(s) it leaves",
        "p.yaml:15:3: transition 'finish' needs `to:`, the state it enters",
        "p.yaml:15:3: transition 'finish' needs `by:`, who may fire it (roles, owner or system)",
    ]


def test_required_key_that_baton_writes_itself_is_refused() -> None:
    text = edited("by: [owner, system]}", "by: [owner, system], requires: [reason, released]}")
    assert problems(text) == [
        f"p.yaml:{position(text, 'released')}: required key 'released' is a name Baton uses itself "
        "in a transition's event; choose another name"
    ]


# --- durations ------------------------------------------------------------------------

@pytest.mark.parametrize(("within", "expected"), [
    ("4 hours", "SLA 'pick_up': '4 hours' is not a duration; write it like 30m, 4h or 2d"),
    ("0h", "SLA 'pick_up': within must be more than zero, not '0h'"),
    ("-4h", "SLA 'pick_up': within must be more than zero, not '-4h'"),
    ("4", "SLA 'pick_up': '4' is not a duration; write it like 30m, 4h or 2d"),
])
def test_bad_duration(within: str, expected: str) -> None:
    text = plus(f"""\
        sla:
          - name: pick_up
            state: working
            within: {within}
        """)
    assert problems(text) == [f"p.yaml:19:13: {expected}"]


def test_durations_in_minutes_hours_and_days() -> None:
    text = plus("""\
        sla:
          - {name: quick, state: new, within: 30m}
          - {name: slow, state: working, within: 2d}
        """)
    assert [clock.within_minutes for clock in parse_policy(text, "p.yaml").sla] == [30, 2880]


# --- roles ------------------------------------------------------------------------------

def test_unknown_role_in_by() -> None:
    assert problems(edited("by: [sales]", "by: [sale]")) == [
        "p.yaml:14:40: transition 'start' lists unknown role 'sale' in `by`"
        " (roles: sales, sales_manager, owner, system); did you mean 'sales'?"
    ]


def test_unknown_role_as_state_owner() -> None:
    assert problems(edited("new: {owner: sales}", "new: {owner: marketing}")) == [
        "p.yaml:9:16: state 'new' is owned by unknown role 'marketing' (roles: sales, sales_manager)"
    ]


def test_unknown_role_in_sla_notify() -> None:
    text = plus("""\
        sla:
          - name: pick_up
            state: working
            within: 4h
            breach: {notify: [owner, sales_mgr]}
        """)
    assert problems(text) == [
        "p.yaml:20:30: SLA 'pick_up' notifies unknown role 'sales_mgr'"
        " (roles: sales, sales_manager, owner); did you mean 'sales_manager'?"
    ]


def test_unreadable_roles_are_reported_once() -> None:
    """Every use of a role is not also called unknown when `roles:` is malformed."""
    text = edited("  sales: [alice, bob]\n  sales_manager: [sam]", "  - sales\n  - sales_manager")
    assert problems(text) == ["p.yaml:4:3: roles must be a set of 'name: value' entries"]


# --- duplicate names --------------------------------------------------------------------

@pytest.mark.parametrize(("old", "new", "expected"), [
    ("  done: {final: true}", "  done: {final: true}\n  new: {owner: sales}",
     "p.yaml:12:3: 'new' is given twice (first on line 9); keep one"),
    ("  score: {type: integer}", "  score: {type: integer}\n  score: {type: number}",
     "p.yaml:8:3: 'score' is given twice (first on line 7); keep one"),
    ("  finish:", "  start: {from: new, to: done, by: [sales]}\n  finish:",
     "p.yaml:15:3: 'start' is given twice (first on line 14); keep one"),
], ids=["state", "field", "transition"])
def test_duplicate_name_points_at_the_first(old: str, new: str, expected: str) -> None:
    assert problems(edited(old, new)) == [expected]


def test_duplicate_sla_name() -> None:
    text = plus("""\
        sla:
          - {name: pick_up, state: new, within: 1h}
          - {name: pick_up, state: working, within: 4h}
        """)
    assert problems(text) == [
        "p.yaml:18:12: SLA 'pick_up' is given twice (first on line 17); give each clock its own name"
    ]


# --- fields --------------------------------------------------------------------------------

def test_unknown_field_type() -> None:
    assert problems(edited("{type: integer}", "{type: integr}")) == [
        "p.yaml:7:17: field 'score' has unknown type 'integr'"
        " (types: string, text, email, phone, integer, number, boolean, date, choice); did you mean 'integer'?"
    ]


def test_choice_without_values() -> None:
    assert problems(edited("score: {type: integer}", "persona: {type: choice}")) == [
        "p.yaml:7:3: choice field 'persona' needs values: [first, second, ...]"
    ]


def test_choice_with_an_empty_list_of_values() -> None:
    assert problems(edited("score: {type: integer}", "persona: {type: choice, values: []}")) == [
        "p.yaml:7:35: choice field 'persona' needs values: [first, second, ...]"
    ]


def test_bad_default_for_a_number() -> None:
    assert problems(edited("{type: integer}", "{type: integer, default: lots}")) == [
        "p.yaml:7:35: default of 'score': 'lots' is not a whole number (use digits, like 12)"
    ]


def test_bad_default_for_a_choice() -> None:
    text = edited("score: {type: integer}", "persona: {type: choice, values: [executive, manager], default: boss}")
    assert problems(text) == [
        "p.yaml:7:66: default of 'persona': 'boss' is not one of the choices (executive, manager)"
    ]


def test_date_default_may_be_written_unquoted() -> None:
    text = edited("score: {type: integer}", "timeline: {type: date, default: 2026-01-31}")
    assert parse_policy(text, "p.yaml").fields["timeline"].default == "2026-01-31"


def test_field_with_nothing_in_it_needs_a_type() -> None:
    assert problems(edited("  score: {type: integer}", "  score:")) == [
        "p.yaml:7:3: field 'score' needs a type (string, text, email, phone, integer, number, boolean, date, choice)"
    ]


# --- expressions ----------------------------------------------------------------------------

def guarded(when: str) -> str:
    """MINIMAL with `when: <when>` on the start transition (line 14, the
    expression at column 54 when unquoted)."""
    return edited("to: working, by: [sales]}", f"to: working, by: [sales], when: {when}}}")


def test_attribute_access_is_pointed_at() -> None:
    assert problems(guarded("score.real > 1")) == [
        "p.yaml:14:59: condition of transition 'start': '.' is not allowed; write the field name on its own"
    ]


def test_function_call_is_pointed_at() -> None:
    assert problems(guarded("score > 1 and open('x')")) == [
        "p.yaml:14:68: condition of transition 'start': function calls are not allowed, except len(), lower(), upper()"
    ]


def test_dunder_name_is_pointed_at() -> None:
    assert problems(guarded("score > __import__")) == [
        "p.yaml:14:62: condition of transition 'start': names starting with '_' are not allowed ('__import__')"
    ]


def test_problem_in_a_quoted_expression_is_pointed_at() -> None:
    assert problems(guarded('"score.real > 1"')) == [
        "p.yaml:14:60: condition of transition 'start': '.' is not allowed; write the field name on its own"
    ]


def test_unknown_name_in_an_expression() -> None:
    assert problems(guarded("scroe >= 60")) == [
        "p.yaml:14:54: condition of transition 'start': unknown name 'scroe'; did you mean 'score'? "
        "(known: actor, attempts, hours_in_state, owner, score, state)"
    ]


def test_unknown_name_in_a_checklist_item() -> None:
    text = plus("""\
        checklists:
          ready:
            has a score: score and budgett
        """)
    assert problems(text) == [
        "p.yaml:18:28: checklist 'ready', item 'has a score': unknown name 'budgett' "
        "(known: actor, attempts, hours_in_state, owner, score, state)"
    ]


def test_unknown_name_in_a_condition_with_say() -> None:
    text = edited("  start: {from: new, to: working, by: [sales]}", indent(dedent("""\
        start:
          from: new
          to: working
          by: [sales]
          when:
            - expr: score >= 60 and scroe < 100
              say: the score must reach 60"""), "  "))
    assert problems(text) == [
        "p.yaml:19:31: condition of transition 'start': unknown name 'scroe'; did you mean 'score'? "
        "(known: actor, attempts, hours_in_state, owner, score, state)"
    ]


def test_expression_folded_over_lines_is_pointed_at_its_start() -> None:
    """Columns inside a folded expression are not those of the file, so the
    problem is shown where the expression starts."""
    text = edited("  start: {from: new, to: working, by: [sales]}", indent(dedent("""\
        start:
          from: new
          to: working
          by: [sales]
          when: score >= 60 and
            scroe < 100"""), "  "))
    assert problems(text) == [
        "p.yaml:18:11: condition of transition 'start': unknown name 'scroe'; did you mean 'score'? "
        "(known: actor, attempts, hours_in_state, owner, score, state)"
    ]


def test_unknown_name_in_a_routing_rule() -> None:
    text = plus("""\
        routing:
          on: working
          rules:
            - when: persona == 'executive'
              assign: [alice]
        """)
    assert problems(text) == [
        "p.yaml:19:13: routing rule 1 when: unknown name 'persona' "
        "(known: actor, attempts, hours_in_state, owner, score, state)"
    ]


# --- SLA clocks ------------------------------------------------------------------------------

def test_sla_that_fires_a_transition_that_cannot_leave_its_state() -> None:
    text = plus("""\
        sla:
          - name: pick_up
            state: new
            within: 4h
            breach: {fire: finish, reason: nobody picked it up}
        """)
    assert problems(text) == [
        "p.yaml:20:20: SLA 'pick_up' runs in 'new' but fires 'finish', which only moves a lead out of working; "
        "fire a transition that leaves 'new'"
    ]


def test_sla_that_fires_a_transition_system_may_not_fire() -> None:
    text = plus("""\
        sla:
          - name: pick_up
            state: new
            within: 4h
            breach: {fire: start}
        """)
    assert problems(text) == [
        "p.yaml:20:20: SLA 'pick_up' fires 'start', but its `by` does not list system; add system to it"
    ]


def test_sla_in_a_final_state() -> None:
    text = plus("""\
        sla:
          - {name: never, state: done, within: 1d}
        """)
    assert problems(text) == [
        "p.yaml:17:26: SLA 'never' runs in 'done', which is final: a clock there could never be met"
    ]


# --- time zone and business hours ---------------------------------------------------------------

def test_unknown_time_zone() -> None:
    assert problems(plus("timezone: Europe/Londn\n")) == [
        "p.yaml:16:11: unknown time zone 'Europe/Londn'; use an IANA name like Europe/London or America/New_York"
    ]


def test_business_hours_that_end_before_they_start() -> None:
    text = plus("""\
        business_hours:
          start: "18:00"
          end: "09:00"
        """)
    assert problems(text) == ["p.yaml:18:8: business hours end (09:00) must be after they start (18:00)"]


def test_business_hours_that_start_after_the_default_end() -> None:
    assert problems(plus('business_hours: {start: "18:00"}\n')) == [
        "p.yaml:16:25: business hours end (17:00) must be after they start (18:00)"
    ]


@pytest.mark.parametrize(("start", "shown"), [("9am", "'9am'"), ('"25:00"', "'25:00'"), ("", "nothing")])
def test_business_hours_with_a_bad_time(start: str, shown: str) -> None:
    text = plus(f"""\
        business_hours:
          start: {start}
        """)
    assert problems(text) == [
        f"p.yaml:17:{10 if start else 3}: start must be a time of day like \"09:00\" (24-hour hh:mm), not {shown}"
    ]


def test_holiday_that_is_not_a_date() -> None:
    text = plus("""\
        business_hours:
          holidays: [2026-12-25, christmas, 2026-02-30]
        """)
    assert problems(text) == [
        "p.yaml:17:26: holiday 'christmas' is not a date; write it as YYYY-MM-DD, like 2026-12-25",
        "p.yaml:17:37: holiday '2026-02-30' is not a date; write it as YYYY-MM-DD, like 2026-12-25",
    ]


def test_holidays_of_an_unknown_country_are_refused() -> None:
    text = plus("""\
        business_hours:
          holidays: {country: XX}
        """)
    assert problems(text) == [
        "p.yaml:17:23: no public holidays are known for 'XX'; "
        "use a code like GB, GB-ENG, US or DE, or list the dates",
    ]


def test_holidays_of_an_unknown_region_are_refused() -> None:
    text = plus("""\
        business_hours:
          holidays: {country: GB-XX}
        """)
    assert problems(text) == [
        "p.yaml:17:23: no public holidays are known for 'GB-XX'; "
        "use a code like GB, GB-ENG, US or DE, or list the dates",
    ]


def test_a_region_and_dates_of_its_own_make_one_calendar(tmp_path: Path) -> None:
    """England's bank holidays (Easter Monday is not one in all of GB) and the
    team's own office closure, together."""
    import datetime as dt

    from statemachine.calendar import Calendar

    path = tmp_path / "p.yaml"
    path.write_text(plus("""\
        business_hours:
          holidays: {country: GB-ENG, dates: [2026-12-24]}
        """))
    _, policy = read_policy_file(str(path))
    assert (policy.business_hours.holiday_country, policy.business_hours.holidays) == ("GB-ENG", ("2026-12-24",))
    calendar = Calendar.of(policy.business_hours, "Europe/London")
    assert not calendar.is_business_day(dt.date(2026, 4, 6))    # Easter Monday, England
    assert not calendar.is_business_day(dt.date(2026, 12, 24))  # the team's own
    assert calendar.is_business_day(dt.date(2026, 12, 23))


def test_holidays_of_a_known_country_are_accepted() -> None:
    text = plus("""\
        business_hours:
          holidays: {country: gb}
        """)
    assert parse_policy(text, "p.yaml").business_hours.holiday_country == "GB"


# --- odd shapes and many problems ---------------------------------------------------------------

@pytest.mark.parametrize("old, new", [
    ("  finish: {from: working, to: done, by: [owner, system]}", "  finish: sales"),
    ("  new: {owner: sales}", "  new: [sales]"),
    ("{type: integer}", "[integer]"),
    ("initial: new", "initial: [new]"),
    ("transitions:", "transitions: []\nmoves:"),
    ("version: 1", "version: [1]"),
    ("policy: tiny", "policy: {name: tiny}"),
])
def test_wrong_shape_is_reported_not_crashed_on(old: str, new: str) -> None:
    assert problems(edited(old, new))


@pytest.mark.parametrize("extra", [
    "sla:\n  -\n", "sla: [pick_up]\n", "sla: {name: pick_up}\n",
    "sla:\n  - {name: a, state: [new], within: [4h]}\n",
    "routing: [a]\n", "routing:\n  on: new\n  rules: [a]\n",
    "business_hours: [a]\n", "business_hours:\n  start: [a]\n  holidays: [[2026-12-25]]\n",
    "checklists: x\n", "checklists:\n  a: [x]\n", "timezone: [a]\n", "notify: [a]\n",
])
def test_wrong_shape_in_an_optional_section_is_reported(extra: str) -> None:
    assert problems(MINIMAL + extra)


def test_policy_needs_a_name() -> None:
    assert problems(edited("policy: tiny", "policy:")) == [
        "p.yaml:1:1: the policy needs a name: add `policy: your-team-handover`"
    ]


def test_transition_that_nobody_may_fire() -> None:
    assert problems(edited("by: [sales]", "by: []")) == [
        "p.yaml:14:39: transition 'start' needs `by:`, who may fire it (roles, owner or system)"
    ]


def test_empty_time_zone() -> None:
    assert problems(plus("timezone: ''\n")) == [
        "p.yaml:16:11: timezone is empty; write an IANA name like Europe/London or America/New_York"
    ]


def test_version_in_quotes_says_to_drop_them() -> None:
    assert problems(edited("version: 1", "version: '2'")) == [
        "p.yaml:2:10: version must be a number without quotes: write version: 2"
    ]


def test_several_problems_are_all_reported_in_line_order() -> None:
    text = edited("{type: integer}", "{type: integr}", edited("to: done", "to: dne", MINIMAL))
    text = edited("initial: new", "initial: new\nstats: {}", text)
    text += "timezone: Mars/Base\n"
    assert [p.split(": ", 1)[0] for p in problems(text)] == [
        "p.yaml:7:17", "p.yaml:13:1", "p.yaml:16:31", "p.yaml:17:11",
    ]


# --- the command line ------------------------------------------------------------------------------

def check(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, [*args], catch_exceptions=False)


def test_cli_check_default_policy() -> None:
    result = check("policy", "check", str(DEFAULT_POLICY))
    assert result.exit_code == 0
    assert result.stdout == f"{DEFAULT_POLICY}: OK, policy default-handover version 1 (8 states, 8 transitions)\n"
    assert result.stderr == ""


def test_cli_check_broken_file_prints_each_problem_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(edited("by: [sales]", "by: [sale]", edited("to: done", "to: dne")))
    result = check("policy", "check", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"{path}:14:40: transition 'start' lists unknown role 'sale' in `by`"
        " (roles: sales, sales_manager, owner, system); did you mean 'sales'?",
        f"{path}:15:31: transition 'finish' goes to unknown state 'dne'"
        " (states: new, working, done); did you mean 'done'?",
    ]


def test_cli_check_several_files(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(MINIMAL)
    bad.write_text(edited("version: 1", "version: 0"))
    result = check("policy", "check", str(bad), str(good))
    assert result.exit_code == 1
    assert result.stdout == f"{good}: OK, policy tiny version 1 (3 states, 2 transitions)\n"
    assert result.stderr == f"{bad}:2:10: version must be a whole number of 1 or more, not '0'\n"


def test_cli_check_json_gives_one_object_per_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(MINIMAL)
    bad.write_text(edited("version: 1", "version: 0"))
    result = check("--json", "policy", "check", str(good), str(bad))
    assert result.exit_code == 1
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"file": str(good), "ok": True, "policy": "tiny", "version": 1, "problems": []},
        {"file": str(bad), "ok": False, "problems": [
            {"line": 2, "col": 10, "message": "version must be a whole number of 1 or more, not '0'"},
        ]},
    ]


def test_cli_check_needs_a_file() -> None:
    result = check("policy", "check")
    assert result.exit_code == 2


# --- follow-on errors and near misses ---------------------------------------------

def test_a_field_with_a_bad_type_is_named_once_not_again_where_it_is_used() -> None:
    text = edited("  score: {type: integer}\n", "  score: {type: integer}\n  budget: {type: numbr}\n") + dedent("""\
        checklists:
          qualification:
            budget: budget
        """)
    assert problems(text) == [
        "p.yaml:8:18: field 'budget' has unknown type 'numbr' (types: string, text, email, phone, integer, "
        "number, boolean, date, choice); did you mean 'number'?",
    ]


def test_a_field_with_no_type_is_named_once_not_again_where_it_is_used() -> None:
    text = edited("  score: {type: integer}\n", "  score: {type: integer}\n  budget: {}\n").replace(
        "by: [sales]}", "by: [sales], when: budget > 0}")
    assert [p.split(": ", 1)[1] for p in problems(text)] == [
        "field 'budget' needs a type (string, text, email, phone, integer, number, boolean, date, choice)",
    ]


def test_comparing_a_choice_field_with_text_that_is_not_one_of_its_values_is_a_policy_error() -> None:
    text = edited("  score: {type: integer}\n",
                  "  score: {type: integer}\n  persona: {type: choice, values: [executive, manager]}\n")
    text = edited("by: [sales]}", "by: [sales], when: persona == 'exec'}", text)
    at = position(text, "'exec'")
    assert problems(text) == [
        f"p.yaml:{at}: condition of transition 'start': 'exec' is not one of the values "
        "of persona; did you mean 'executive'? (values: executive, manager)",
    ]


@pytest.mark.parametrize("expr", ["'Manager' != persona", "persona in ['executive', 'Manager']",
                                  "persona not in ['Manager']"])
def test_every_way_of_comparing_a_choice_field_checks_the_text(expr: str) -> None:
    text = edited("  score: {type: integer}\n",
                  "  score: {type: integer}\n  persona: {type: choice, values: [executive, manager]}\n")
    text = edited("by: [sales]}", f'by: [sales], when: "{expr}"}}', text)
    at = position(text, "'Manager'")
    assert problems(text) == [
        f"p.yaml:{at}: condition of transition 'start': 'Manager' is not one of the "
        "values of persona; did you mean 'manager'? (values: executive, manager)",
    ]


def test_a_choice_field_compared_with_its_values_is_valid() -> None:
    text = edited("  score: {type: integer}\n",
                  "  score: {type: integer}\n  persona: {type: choice, values: [executive, manager]}\n")
    text = edited("by: [sales]}", "by: [sales], when: \"persona == 'manager' or persona in ['executive']\"}", text)
    assert parse_policy(text, "p.yaml").transitions["start"].guards[0].expr.source == (
        "persona == 'manager' or persona in ['executive']"
    )


def test_a_transition_key_indented_as_a_transition_hints_at_the_indentation() -> None:
    text = plus("""\
        checklists:
          ready:
            has a score: score
        """).replace(
        "  start: {from: new, to: working, by: [sales]}\n",
        "  start:\n    from: new\n    to: working\n    by: [sales]\n  checklist: ready\n",
    )
    assert problems(text) == [
        "p.yaml:18:3: 'checklist' is indented as if it were a transition of its own; it is a key of the "
        "transition above it: indent it under that transition, in line with its from:, to: and by:",
    ]


def test_a_choice_value_written_without_quotes_is_told_to_take_them() -> None:
    text = DEFAULT_POLICY.read_text(encoding="utf-8").replace(
        "    - when: persona == 'executive'", "    - when: persona == executive", 1)
    assert problems(text) == [
        f"p.yaml:{position(text, 'persona == executive').split(':')[0]}:24: routing rule 1 when: 'executive' is a value of persona, "
        "not a name: put it in quotes, like persona == 'executive'"
    ]
