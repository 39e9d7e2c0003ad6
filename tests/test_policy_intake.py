"""The HTTP API's policy keys: `api: {admins: [...]}` (who manages tokens) and
`intake: {NAME: ...}` (how a tool's posted keys become fields), through the
loader, the cached plain form and the editors' schema."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from statemachine.errors import PolicyInvalid
from statemachine.policy import parse_policy
from statemachine.policy.model import Intake, from_plain, to_plain

# Line numbers used below: roles 3-5, fields 6-9, `api`/`intake` from 18.
BASE = dedent("""\
    policy: tiny
    version: 1
    roles:
      sales: [alice, bob]
      sales_manager: [sam]
    fields:
      email: {type: email, personal: true}
      company: {type: string}
      score: {type: integer}
    states:
      new: {owner: sales}
      working: {owner: sales}
      done: {final: true}
    initial: new
    transitions:
      start: {from: new, to: working, by: [sales]}
      finish: {from: working, to: done, by: [owner]}
    """)


def policy(extra: str):  # type: ignore[no-untyped-def]
    return parse_policy(BASE + dedent(extra), "p.yaml")


def problems(extra: str) -> list[str]:
    with pytest.raises(PolicyInvalid) as caught:
        parse_policy(BASE + dedent(extra), "p.yaml")
    return [str(problem) for problem in caught.value.problems]


# --- api ---------------------------------------------------------------------------

def test_without_api_the_sales_managers_manage_tokens() -> None:
    assert policy("").api_admins == ("sales_manager",)


def test_api_admins_names_the_roles_that_manage_tokens() -> None:
    assert policy("api: {admins: [sales, sales_manager]}\n").api_admins == ("sales", "sales_manager")
    assert policy("api:\n  admins: sales\n").api_admins == ("sales",)


def test_an_unknown_admin_role_is_named_where_it_is_with_a_suggestion() -> None:
    assert problems("api: {admins: [sales_manger]}\n") == [
        "p.yaml:18:16: api admins name unknown role 'sales_manger' (roles: sales, sales_manager); "
        "did you mean 'sales_manager'?"
    ]


def test_an_empty_admins_list_is_refused() -> None:
    [problem] = problems("api: {admins: []}\n")
    assert problem.startswith("p.yaml:18:15: api: admins needs the roles who may create and revoke API tokens")


def test_an_unknown_key_under_api_is_named() -> None:
    assert problems("api: {admin: [sales]}\n") == [
        "p.yaml:18:7: unknown key 'admin' in api (keys: admins); did you mean 'admins'?"
    ]


# --- intake ------------------------------------------------------------------------

WEB_FORM = """\
    intake:
      web_form:
        map: {E-mail: email, "Company name": company, submit: }
        null: [N/A, "-"]
      hubspot:
        map: {hs_lead_score: score}
        id: vid
        extra: error
    """


def test_intakes_are_read_with_their_maps_null_tokens_extra_and_id() -> None:
    intake = policy(WEB_FORM).intake
    assert intake == {
        "web_form": Intake("web_form", {"E-mail": "email", "Company name": "company", "submit": ""},
                           ("N/A", "-"), "ignore", None),
        "hubspot": Intake("hubspot", {"hs_lead_score": "score", "vid": "id"}, (), "error", "vid"),
    }


def test_an_intake_with_nothing_under_it_takes_keys_named_as_fields() -> None:
    assert policy("intake:\n  web_form:\n").intake == {"web_form": Intake("web_form", {}, (), "ignore", None)}


def test_a_policy_without_intake_has_none() -> None:
    assert dict(policy("").intake) == {}


def test_api_and_intake_survive_the_cached_plain_form() -> None:
    checked = policy("api: {admins: [sales]}\n" + dedent(WEB_FORM))
    cached = from_plain(to_plain(checked))
    assert cached.api_admins == ("sales",)
    assert cached.intake == checked.intake


def test_a_map_to_an_unknown_field_is_named_with_a_suggestion() -> None:
    assert problems("""\
        intake:
          web_form:
            map: {E-mail: emial}
        """) == [
        "p.yaml:20:19: intake 'web_form' maps 'E-mail' to 'emial', which is not a field; did you mean 'email'? "
        "(fields: email, company, score; or id for the lead id)"
    ]


def test_two_keys_filling_one_field_are_refused() -> None:
    assert problems("""\
        intake:
          web_form:
            map: {E-mail: email, Email address: email}
        """) == ["p.yaml:20:41: intake 'web_form': 'E-mail' and 'Email address' both fill field 'email'; keep one"]


def test_id_and_a_map_entry_cannot_both_give_the_lead_id() -> None:
    assert problems("""\
        intake:
          hubspot:
            map: {contact_id: id}
            id: vid
        """) == ["p.yaml:21:9: intake 'hubspot': 'contact_id' and 'vid' both fill the lead id; keep one"]


def test_id_cannot_name_a_key_the_map_sends_to_a_field() -> None:
    assert problems("""\
        intake:
          hubspot:
            map: {vid: company}
            id: vid
        """) == ["p.yaml:21:9: intake 'hubspot': id is 'vid', but map sends 'vid' to field 'company'; "
                 "a posted key fills one thing, so keep one"]


def test_extra_is_ignore_or_error() -> None:
    assert problems("""\
        intake:
          web_form: {extra: maybe}
        """) == ["p.yaml:19:21: intake 'web_form': extra must be ignore (keys that fill no field are left out) "
                 "or error (they refuse the lead), not 'maybe'"]


def test_an_intake_name_is_a_plain_name() -> None:
    [problem] = problems("""\
        intake:
          web form: {}
        """)
    assert problem.startswith("p.yaml:19:3: intake name 'web form' must be a plain name")


def test_an_unknown_key_in_an_intake_is_named_with_a_suggestion() -> None:
    assert problems("""\
        intake:
          web_form: {nul: [N/A]}
        """) == ["p.yaml:19:14: unknown key 'nul' in intake 'web_form' (keys: map, null, extra, id); "
                 "did you mean 'null'?"]


def test_a_blank_null_token_is_refused() -> None:
    [problem] = problems("""\
        intake:
          web_form: {"null": [" "]}
        """)
    assert problem.startswith("p.yaml:19:23: intake 'web_form': null token ' ' is blank")


# --- the editors' schema refuses what the loader refuses ------------------------------

@pytest.mark.parametrize(("extra", "schema_path"), [
    ("api: {admins: []}\n", "api.admins"),
    ("api: {admin: [sales]}\n", "api.admin"),
    ("intake:\n  web form: {}\n", "intake"),
    ("intake:\n  web_form: {extra: maybe}\n", "intake.web_form.extra"),
    ("intake:\n  web_form: {nul: [N/A]}\n", "intake.web_form.nul"),
    ("intake:\n  web_form: {map: {E-mail: [email]}}\n", "intake.web_form.map.E-mail"),
    ("intake:\n  web_form: {\"null\": [\" \"]}\n", "intake.web_form.null[0]"),
], ids=["no admins", "admin", "name", "extra", "unknown key", "map to a list", "blank null token"])
def test_the_schema_refuses_what_the_loader_refuses(extra: str, schema_path: str) -> None:
    from cli.policy_schema import schema_problems
    from statemachine.policy.json_schema import policy_data

    assert problems(extra) != []
    assert [path for path, _ in schema_problems(policy_data(BASE + extra))] == [schema_path]


def test_a_null_key_reads_as_the_name_null_for_the_schema_too() -> None:
    from statemachine.policy.json_schema import policy_data

    assert policy_data(BASE + WEB_FORM.replace("    ", "", 1))["intake"]["web_form"]["null"] == ["N/A", "-"]


def test_policy_check_names_intake_and_api_problems_with_their_place(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli.main import cli

    path = tmp_path / "p.yaml"
    path.write_text(BASE + "api: {admins: [sales_manger]}\nintake:\n  web_form:\n    map: {E-mail: emial}\n")
    result = CliRunner().invoke(cli, ["policy", "check", str(path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{path}:18:16: api admins name unknown role 'sales_manger' (roles: sales, sales_manager); "
        "did you mean 'sales_manager'?",
        f"{path}:21:19: intake 'web_form' maps 'E-mail' to 'emial', which is not a field; did you mean 'email'? "
        "(fields: email, company, score; or id for the lead id)",
    ]
