"""`lead import` writes its leads a batch at a time: each lead must come out
exactly as `lead add` would make it, whatever the batch boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DEFAULT_POLICY, Baton, as_json, json_lines

import statemachine.leadimport.write

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches of 2, so a handful of rows crosses several of them."""
    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 2)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def verified(baton: Baton) -> None:
    result = baton("audit", "verify")
    assert result.exit_code == 0, result.stderr
    assert "the leads table matches the log" in result.stdout


def test_an_imported_lead_is_the_lead_add_would_make(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "leads.csv", "id,email,persona,score\nI-1,ana@northwind.example,executive,82\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    assert baton("lead", "add", "--id", "A-1", "email=ana@northwind.example", "persona=executive", "score=82").exit_code == 0
    imported, added = (as_json(baton("--json", "lead", "show", lead)) for lead in ("I-1", "A-1"))
    assert {**imported, "id": "A-1"} == added
    (created_i,), (created_a,) = (json_lines(baton("--json", "lead", "history", lead)) for lead in ("I-1", "A-1"))
    assert created_i["data"]["fields"].keys() == created_a["data"]["fields"].keys()
    assert set(created_i["data"]["fields"]["email"]) == {"personal"}  # a salted digest, never the address
    verified(baton)


def test_a_blank_cell_is_null_even_for_a_field_with_a_default(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "leads.csv", "id,email,score\nI-1,a@example.com,\nI-2,b@example.com,70\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    fields = [as_json(baton("--json", "lead", "show", lead))["fields"] for lead in ("I-1", "I-2")]
    assert fields == [{"email": "a@example.com"}, {"email": "b@example.com", "score": 70}]
    verified(baton)


def test_generated_ids_skip_the_taken_ones_across_batches(baton: Baton, db: Path, tmp_path: Path) -> None:
    assert baton("lead", "add", "--id", "L-2", "score=1").exit_code == 0
    export = write(tmp_path / "leads.csv", "score\n10\n20\n30\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    assert baton("lead", "add", "score=40").stdout.startswith("Created L-5 ")
    listed = [(row["id"], row["fields"].get("score")) for row in json_lines(baton("--json", "lead", "list"))]
    assert listed == [("L-2", 1), ("L-1", 10), ("L-3", 20), ("L-4", 30), ("L-5", 40)]
    verified(baton)


def test_an_id_given_twice_in_different_batches_is_refused_by_its_line(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "leads.csv", "id,score\nI-1,1\nI-2,2\nI-3,3\nI-1,4\n")
    result = baton("lead", "import", str(export))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {export}:5: lead 'I-1' already exists; nothing was imported (fix that row, or pass --skip-bad to import the good rows)\n"
    assert baton("lead", "list").stdout == "No leads match.\n"


def test_skip_bad_imports_the_rest_around_a_duplicate(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "leads.csv", "id,score\nI-1,1\nI-2,2\nI-1,3\nI-4,4\n")
    result = baton("lead", "import", str(export), "--skip-bad")
    assert result.stdout == f"Imported 3 leads from {export}.\n"
    assert result.stderr == f"{export}:4: skipped: lead 'I-1' already exists\n"
    verified(baton)


def test_clocks_of_the_initial_state_start_for_every_imported_lead(baton: Baton, tmp_path: Path) -> None:
    policy = write(tmp_path / "timed.yaml", DEFAULT_POLICY.read_text().replace(
        "sla:\n", "sla:\n  - name: triage\n    state: MQL\n    within: 2h\n    breach: {notify: [marketing]}\n", 1))
    assert baton("init", "--policy", str(policy)).exit_code == 0
    export = write(tmp_path / "leads.csv", "score\n10\n20\n30\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    for lead in ("L-1", "L-2", "L-3"):
        (clock,) = as_json(baton("--json", "lead", "show", lead))["sla"]
        assert (clock["name"], clock["due"], clock["breached"]) == ("triage", "2026-11-23T11:00:00+00:00", False)
    verified(baton)


def test_a_policy_that_routes_on_the_initial_state_routes_each_imported_lead(baton: Baton, tmp_path: Path) -> None:
    policy = write(tmp_path / "routed.yaml", DEFAULT_POLICY.read_text().replace("  on: SQL\n", "  on: MQL\n", 1))
    assert baton("init", "--policy", str(policy)).exit_code == 0
    export = write(tmp_path / "leads.csv", "persona,score\nmanager,10\nexecutive,20\nmanager,30\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    owners = [row["owner"] for row in json_lines(baton("--json", "lead", "list"))]
    assert owners == ["alice", "carol", "bob"]
    verified(baton)


def test_a_field_the_file_does_not_have_takes_its_default(baton: Baton, db: Path, tmp_path: Path) -> None:
    export = write(tmp_path / "leads.csv", "id,email\nI-1,a@example.com\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    assert as_json(baton("--json", "lead", "show", "I-1"))["fields"] == {"email": "a@example.com", "score": 0}
    verified(baton)


def test_the_event_data_an_import_writes_is_canonical_json(baton: Baton, db: Path, tmp_path: Path) -> None:
    """The import writes each `created` event's data text itself: it must be
    exactly `canonical` of what it holds, for every kind of value."""
    import csv
    import json

    from conftest import query

    from statemachine.chain import canonical

    rows = [
        ["id", "first_name", "email", "company", "need", "score", "budget", "authority", "timeline", "persona"],
        ["T-1", 'Zoë "Z" Müller', "zoe@example.com", "Back\\slash & Co", "line one\nline two\ttabbed", "-12",
         "1500.50", "yes", "2026-12-25", "executive"],
        ["T-2", "日本語 😀", "", "quote ' \" </script>", " kept as written \u2028", "9223372036854775807",
         "1e-7", "0", "", "Manager"],
        ["T-3", "\x7f\u00a0nbsp", "a@b.example", "", "\x01\x1f control", "", "12", "", "2027-01-01T00:00:00", ""],
    ]
    export = tmp_path / "leads.csv"
    with open(export, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    result = baton("lead", "import", str(export))
    assert result.exit_code == 0, result.stderr
    stored = query(db, "SELECT lead, data FROM events WHERE event = 'created' ORDER BY seq")
    assert [lead for lead, _ in stored] == ["T-1", "T-2", "T-3"]
    for lead, text in stored:
        assert text == canonical(json.loads(text)), lead
    fields = json.loads(stored[0][1])["fields"]
    assert {k: v for k, v in fields.items() if k not in ("first_name", "email")} == {
        "company": "Back\\slash & Co", "need": "line one\nline two\ttabbed", "score": -12, "budget": 1500.5,
        "authority": True, "timeline": "2026-12-25", "persona": "executive"}
    assert set(fields["first_name"]) == {"personal"}
    verified(baton)


def test_an_id_given_after_the_same_generated_id_in_one_batch_is_refused(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 100)
    export = write(tmp_path / "leads.csv", "id,score\n,1\nL-1,2\n")
    result = baton("lead", "import", str(export), "--skip-bad")
    assert result.stderr == f"{export}:3: skipped: lead 'L-1' already exists\n"
    assert [row["id"] for row in json_lines(baton("--json", "lead", "list"))] == ["L-1"]


def test_a_generated_id_skips_one_given_earlier_in_the_same_batch(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 100)
    export = write(tmp_path / "leads.csv", "id,score\nL-1,1\n,2\nL-3,3\n,4\n")
    assert baton("lead", "import", str(export)).exit_code == 0
    listed = [(row["id"], row["fields"]["score"]) for row in json_lines(baton("--json", "lead", "list"))]
    assert listed == [("L-1", 1), ("L-2", 2), ("L-3", 3), ("L-4", 4)]
    verified(baton)


def test_the_first_bad_line_is_named_even_when_a_duplicate_comes_first_in_its_batch(
        baton: Baton, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are looked up a batch at a time, yet lines are judged in file order."""
    monkeypatch.setattr(statemachine.leadimport.write, "BATCH", 100)
    assert baton("lead", "add", "--id", "I-1", "score=1").exit_code == 0
    export = write(tmp_path / "leads.csv", "id,score\nI-2,2\nI-1,3\nI-4,x\nI-2,5\n")
    result = baton("lead", "import", str(export))
    assert result.stderr.startswith(f"Error: {export}:3: lead 'I-1' already exists; nothing was imported")
    result = baton("lead", "import", str(export), "--skip-bad")
    assert result.stderr == (f"{export}:3: skipped: lead 'I-1' already exists\n"
                             f"{export}:4: skipped: field 'score': 'x' is not a whole number (use digits, like 12)\n"
                             f"{export}:5: skipped: lead 'I-2' already exists\n")
    assert [row["id"] for row in json_lines(baton("--json", "lead", "list"))] == ["I-1", "I-2"]
    verified(baton)


def test_the_cycle_collector_is_back_on_after_an_import_however_it_ends(baton: Baton, db: Path, tmp_path: Path) -> None:
    import gc

    good = write(tmp_path / "good.csv", "score\n1\n2\n3\n")
    bad = write(tmp_path / "bad.csv", "score\n1\nx\n")
    assert baton("lead", "import", str(good)).exit_code == 0
    assert gc.isenabled()
    assert baton("lead", "import", str(bad)).exit_code == 1
    assert gc.isenabled()
