"""The running open-lead count per rep (`rep_load`, read by least_loaded
routing and `rep list`) stays equal to a recount of the leads after every way
the leads can change wholesale: `audit rebuild`, and a `policy apply` that
moves leads or changes which states are final. `audit verify` names a rep
whose count differs from the log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import DEFAULT_POLICY, Baton, json_lines, sign_off, to_sql
from test_audit import problems, tamper
from test_database import reading

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


def open_leads(baton: Baton) -> dict[str, int]:
    return {row["rep"]: row["open_leads"] for row in json_lines(baton("--json", "rep", "list"))}


def recount(db: Path, final: tuple[str, ...] = ("won",)) -> dict[str, int]:
    """Open leads per owner counted from the leads table with sqlite3 alone."""
    marks = ",".join("?" * len(final))
    with reading(db) as conn:
        return dict(conn.execute(
            f"SELECT owner, count(*) FROM leads WHERE owner IS NOT NULL {f'AND state NOT IN ({marks})' if final else ''} "
            "GROUP BY owner",
            final,
        ).fetchall())


def version_2(tmp_path: Path, *changes: tuple[str, str], rename: tuple[str, str] | None = None) -> Path:
    text = DEFAULT_POLICY.read_text().replace("version: 1\n", "version: 2\n", 1)
    if rename:
        text = re.sub(rf"\b{rename[0]}\b", rename[1], text)
    for old, new in changes:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "v2.yaml"
    path.write_text(text)
    return path


def three_assigned(baton: Baton) -> None:
    """L-1 and L-3 with alice (L-1 accepted), L-2 with bob; L-3 then won."""
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0
    assert baton("lead", "advance", "L-1", "accept", actor="alice").exit_code == 0
    for trigger in ("accept", "contact", "win"):
        assert baton("lead", "advance", "L-3", trigger, actor="alice").exit_code == 0


# -- audit rebuild ------------------------------------------------------------------------
def test_rebuild_after_a_restore_of_the_log_recounts_each_reps_open_leads(baton: Baton, db: Path) -> None:
    three_assigned(baton)
    assert open_leads(baton) == {"carol": 0, "alice": 1, "bob": 1}
    # Only the log survived the restore: the projection and the counts are gone.
    tamper(db, "DELETE FROM leads")
    tamper(db, "DELETE FROM rep_load")
    assert baton("audit", "rebuild").exit_code == 0
    assert open_leads(baton) == {"carol": 0, "alice": 1, "bob": 1} == {"carol": 0, **recount(db)}
    assert baton("audit", "verify").exit_code == 0


def test_least_loaded_routing_after_a_rebuild_counts_the_rebuilt_leads(baton: Baton, db: Path) -> None:
    """alice holds two open leads and bob one; after a rebuild that lost the
    counts, the next lead still goes to bob."""
    for lead in ("L-1", "L-2", "L-3"):
        assert to_sql(baton, lead).exit_code == 0
    tamper(db, "DELETE FROM rep_load")
    assert baton("audit", "rebuild").exit_code == 0
    assert to_sql(baton, "L-4").stdout.splitlines()[-1] == (
        "Assigned L-4 to bob: rule 2 gives the lead to the one of alice and bob with fewer open leads; "
        "bob has 1 open lead, alice 2."
    )


# -- policy apply ---------------------------------------------------------------------------
def test_map_out_of_a_state_whose_leads_have_owners_moves_them_and_keeps_the_counts(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    three_assigned(baton)
    v2 = version_2(tmp_path, rename=("accepted", "acknowledged"))
    sign_off(baton, v2)
    result = baton("policy", "apply", str(v2), "--map", "accepted=acknowledged", actor="sam")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == "Moved 1 lead from accepted to acknowledged: L-1."
    assert open_leads(baton) == {"carol": 0, "alice": 1, "bob": 1}
    assert baton("lead", "advance", "L-1", "contact", actor="alice").stdout.startswith(
        "L-1: acknowledged -> contacted (contact)."
    )
    assert baton("audit", "verify").exit_code == 0


def test_map_into_a_final_state_takes_the_leads_off_their_reps_load(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    three_assigned(baton)
    v2 = version_2(tmp_path, rename=("accepted", "acknowledged"))
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2), "--map", "accepted=won", actor="sam").exit_code == 0
    assert open_leads(baton) == {"carol": 0, "alice": 0, "bob": 1} == {"carol": 0, "alice": 0, **recount(db)}
    assert baton("audit", "verify").exit_code == 0


def test_a_final_state_made_open_puts_its_leads_back_on_their_reps_load(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    three_assigned(baton)
    assert open_leads(baton)["alice"] == 1
    v2 = version_2(
        tmp_path,
        ("won: {final: true,", "won: {owner: sales,"),
        ("  renurture:", "  reopen: {from: won, to: contacted, by: [sales_manager]}\n  renurture:"),
    )
    sign_off(baton, v2)
    assert baton("policy", "apply", str(v2), actor="sam").exit_code == 0
    assert open_leads(baton) == {"carol": 0, "alice": 2, "bob": 1} == {"carol": 0, **recount(db, final=())}
    assert baton("audit", "verify").exit_code == 0


# -- audit verify ---------------------------------------------------------------------------
def test_verify_names_a_rep_whose_open_lead_count_differs_from_the_log(baton: Baton, db: Path) -> None:
    three_assigned(baton)
    tamper(db, "UPDATE rep_load SET open_leads = 5 WHERE rep = 'alice'")
    tamper(db, "DELETE FROM rep_load WHERE rep = 'bob'")
    assert problems(baton("audit", "verify")) == [
        ("rep alice: rep_load counts 5 open leads, but the log gives alice 1; "
         "least_loaded routing reads this count (`baton audit rebuild` recounts it)"),
        ("rep bob: rep_load counts 0 open leads, but the log gives bob 1; "
         "least_loaded routing reads this count (`baton audit rebuild` recounts it)"),
    ]
    assert baton("audit", "rebuild").exit_code == 0
    assert baton("audit", "verify").exit_code == 0


def test_verify_json_names_the_rep(baton: Baton, db: Path) -> None:
    import json

    three_assigned(baton)
    tamper(db, "INSERT INTO rep_load(rep, open_leads) VALUES ('mallory', 3)")
    result = baton("--json", "audit", "verify")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"] == [{
        "rep": "mallory",
        "message": "rep_load counts 3 open leads, but the log gives mallory 0; "
                   "least_loaded routing reads this count (`baton audit rebuild` recounts it)",
    }]
