"""`baton lead import` end to end: a CRM export in, leads and events out,
all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Baton, as_json, json_lines, query

from statemachine.audit import verify_chain
from statemachine.store import Store

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

HUBSPOT = (
    "\ufeffid;Email Address;Persona;Lead Source;score;Notes\n"
    "H-1;ana@northwind.example;executive;webinar;82;met at the booth\n"
    "H-2;ben@contoso.example;Select;N/A;64.0;\n"
)


def counts(db: Path) -> tuple[int, int]:
    return query(db, "SELECT count(*) FROM leads")[0][0], query(db, "SELECT count(*) FROM events")[0][0]


def test_import_reads_a_crm_export_with_maps_and_null_tokens(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT, encoding="utf-8")
    result = baton("lead", "import", str(export), "--map", "Email Address=email", "--map", "Lead Source=source",
                   "--null", "Select", "--null", "N/A", "--extra", "ignore")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"Imported 2 leads from {export}.\n"
    first = as_json(baton("--json", "lead", "show", "H-1"))
    assert first["fields"] == {"email": "ana@northwind.example", "persona": "executive", "source": "webinar", "score": 82}
    second = as_json(baton("--json", "lead", "show", "H-2"))
    assert second["fields"] == {"email": "ben@contoso.example", "score": 64}
    assert [e["event"] for e in json_lines(baton("--json", "lead", "history", "H-2"))] == ["created"]


def test_unmatched_columns_are_named_and_nothing_is_imported(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "hubspot.csv"
    export.write_text(HUBSPOT, encoding="utf-8")
    before = counts(db)
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert "columns that match no field: 'Email Address', 'Lead Source' and 'Notes'" in result.stderr
    assert "--extra ignore" in result.stderr
    assert counts(db) == before


def test_a_bad_row_is_named_by_line_and_nothing_is_imported(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("email,score\na@b.example,10\nc@d.example,lots\ne@f.example,30\n")
    before = counts(db)
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {export}:3: field 'score': 'lots' is not a whole number")
    assert result.stderr.rstrip().endswith(
        "nothing was imported (fix that row, or pass --skip-bad to import the good rows)"
    )
    assert counts(db) == before


def test_skip_bad_imports_the_good_rows_and_lists_the_rest(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("email,score\na@b.example,10\nc@d.example,lots\ne@f.example,30\n")
    result = baton("--json", "lead", "import", str(export), "--skip-bad")
    assert result.exit_code == 0
    report = as_json(result)
    assert report["imported"] == 2
    assert [b["line"] for b in report["bad"]] == [3]
    assert [lead["fields"]["score"] for lead in json_lines(baton("--json", "lead", "list"))] == [10, 30]


def test_nul_byte_and_invalid_utf8_rows_are_bad_rows(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_bytes(b"email,company\na@b.example,Acme\nc@d.example,Bad\x00Co\ne@f.example,Caf\xe9\n")
    result = baton("--json", "lead", "import", str(export), "--skip-bad")
    report = as_json(result)
    assert report["imported"] == 1
    assert report["bad"][0]["line"] == 3
    assert "NUL" in report["bad"][0]["reason"]
    assert report["bad"][1]["line"] == 4 and "UTF-8" in report["bad"][1]["reason"]


def test_duplicate_ids_in_the_file_or_the_database_are_bad_rows(baton: Baton, db: Path, tmp_path: Path) -> None:
    baton("lead", "add", "--id", "X-1")
    export = tmp_path / "leads.csv"
    export.write_text("id,score\nX-2,1\nX-2,2\nX-1,3\n")
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert f"{export}:3: lead 'X-2' already exists" in result.stderr
    report = as_json(baton("--json", "lead", "import", str(export), "--skip-bad"))
    assert report["imported"] == 1
    assert [(b["line"], b["reason"]) for b in report["bad"]] == [
        (3, "lead 'X-2' already exists"), (4, "lead 'X-1' already exists"),
    ]


def test_json_lines_import_generates_ids_and_keeps_the_chain(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.jsonl"
    export.write_text('{"email": "a@b.example", "score": 70, "authority": true}\n\n{"phone": "+1 555 0100"}\n')
    assert baton("lead", "import", str(export)).exit_code == 0
    leads = json_lines(baton("--json", "lead", "list"))
    assert [lead["id"] for lead in leads] == ["L-1", "L-2"]
    assert leads[0]["fields"]["authority"] is True
    store = Store.open(str(db), write=False)
    try:
        assert verify_chain(store) == (3, None)
    finally:
        store.close()


def test_personal_values_from_an_import_stay_out_of_the_log(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("first_name,email\nAna,ana@northwind.example\n")
    baton("lead", "import", str(export))
    raw = ",".join(data for (data,) in query(db, "SELECT data FROM events"))
    assert "ana@northwind.example" not in raw
    assert as_json(baton("--json", "lead", "show", "L-1"))["fields"]["first_name"] == "Ana"


def test_missing_file_is_a_clear_error(baton: Baton, db: Path, tmp_path: Path) -> None:
    result = baton("lead", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 1
    assert "nope.csv" in result.stderr and "Traceback" not in result.stderr


def test_import_takes_exactly_the_contracted_options() -> None:
    from cli.lead import import_

    # `--json` is the global option every command also takes after its name.
    options = sorted(opt for param in import_.params for opt in param.opts if opt.startswith("-") and opt != "--json")
    assert options == ["--extra", "--map", "--null", "--skip-bad"]
    extra = next(param for param in import_.params if param.name == "extra")
    assert (extra.type.choices, extra.default) == (("error", "ignore"), "error")  # type: ignore[attr-defined]


def test_import_killed_half_way_leaves_no_row_and_a_working_database(
    baton: Baton, db: Path, tmp_path: Path
) -> None:
    """SIGKILL in the middle of the rows: nothing of the import survives, and
    the next command finds the database as it was."""
    import signal
    import subprocess
    import sys

    from conftest import ROOT

    source = tmp_path / "leads.csv"
    source.write_text("id,email,score\n" + "".join(f"K-{n},k{n}@example.com,{n}\n" for n in range(20)))
    before = counts(db)
    script = (
        "import os, signal\n"
        "import statemachine.leadimport.write as bulk\n"
        "from cli.main import cli\n"
        "bulk.BATCH, real_flush, flushed = 5, bulk._Batch.flush, []\n"
        "def flush_then_die(batch):\n"
        "    if len(flushed) == 2:\n"  # 10 rows written inside the transaction
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    flushed.append(real_flush(batch))\n"
        "bulk._Batch.flush = flush_then_die\n"
        f"cli(['--db', {str(db)!r}, '--as', 'jane', 'lead', 'import', {str(source)!r}])\n"
    )
    killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert counts(db) == before
    assert baton("lead", "list").stdout == "No leads match.\n"
    assert baton("lead", "import", str(source)).stdout == f"Imported 20 leads from {source}.\n"
    store = Store.open(str(db), write=False)
    try:
        assert verify_chain(store) == (21, None)  # policy_applied, then one `created` a row
    finally:
        store.close()


def test_a_map_of_a_column_the_file_lacks_is_one_error_line_with_a_suggestion(
        baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("Email Address,score\nana@northwind.example,70\n", encoding="utf-8")
    result = baton("lead", "import", str(export), "--map", "Emial Address=email")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: --map 'Emial Address=email': {export} has no column 'Emial Address'; did you mean "
        "'Email Address'? (its columns: 'Email Address', 'score')\n"
    )
    assert counts(db) == (0, 1)


def test_a_row_with_several_bad_cells_names_every_one(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("email,persona,score,authority\nana@northwind.example,boss,x,maybe\n", encoding="utf-8")
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {export}:2: field 'persona': 'boss' is not one of the choices "
        "(executive, manager, practitioner, assistant); field 'score': 'x' is not a whole number "
        "(use digits, like 12); field 'authority': 'maybe' is not yes or no (use true/false, yes/no, "
        "y/n or 1/0); nothing was imported (fix that row, or pass --skip-bad to import the good rows)\n"
    )


def test_a_mistyped_column_is_named_with_the_map_that_would_fix_it(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = tmp_path / "leads.csv"
    export.write_text("email,scor\na@example.com,1\n", encoding="utf-8")
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Error: a column that matches no field: 'scor'. Map it to a field with --map \"scor=score\" (fields: "
    )
    assert result.stderr.endswith(", or pass --extra ignore to leave it out\n")
    assert counts(db) == (0, 1)
