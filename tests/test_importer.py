"""Reading CRM exports: CSV dialects, JSON lines, mapping, nulls, bad rows."""

import json

import pytest

from statemachine.leadimport import BadRow, FieldSpec, ImportRefused, LeadFile, Row, parse_map

pytestmark = pytest.mark.both_stores  # every database test here runs on SQLite and on PostgreSQL

FIELDS = {
    "email": FieldSpec("email"),
    "phone": FieldSpec("phone"),
    "persona": FieldSpec("choice", ("executive", "manager", "practitioner")),
    "source": FieldSpec("choice", ("webinar", "landing_page", "referral", "paid_ad")),
    "product": FieldSpec("string"),
    "score": FieldSpec("integer"),
    "budget": FieldSpec("number"),
    "authority": FieldSpec("boolean"),
    "need": FieldSpec("text"),
    "timeline": FieldSpec("date"),
}
FIELD_LIST = "email, phone, persona, source, product, score, budget, authority, need, timeline"


def write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def read(path, mapping=None, nulls=(), extra="error"):
    return list(LeadFile(path, FIELDS, mapping or {}, nulls, extra))


def refused(path, mapping=None, nulls=(), extra="error"):
    with pytest.raises(ImportRefused) as caught:
        LeadFile(path, FIELDS, mapping or {}, nulls, extra)
    return caught.value.reason


# --- CSV dialects and encodings ----------------------------------------------------


def test_comma_csv_rows_have_parsed_fields_and_line_numbers(tmp_path):
    path = write(
        tmp_path,
        "leads.csv",
        "email,score,budget,authority,timeline,persona\n"
        "jane@example.com,72,1500.50,yes,2026-12-25,Manager\n"
        "omar@example.com,12.0,,no,,\n",
    )
    assert read(path) == [
        Row(2, None, {"email": "jane@example.com", "score": 72, "budget": 1500.5,
                      "authority": True, "timeline": "2026-12-25", "persona": "manager"}),
        Row(3, None, {"email": "omar@example.com", "score": 12, "authority": False}),
    ]


def test_semicolon_csv_with_bom_is_read(tmp_path):
    path = write(tmp_path, "leads.csv", b"\xef\xbb\xbfemail;score\r\njane@example.com;72\r\n")
    assert read(path) == [Row(2, None, {"email": "jane@example.com", "score": 72})]


def test_tab_separated_file_is_read(tmp_path):
    path = write(tmp_path, "leads.tsv", "email\tproduct\njane@example.com\tWidget, large\n")
    assert read(path) == [Row(2, None, {"email": "jane@example.com", "product": "Widget, large"})]


def test_pipe_separated_file_is_read(tmp_path):
    path = write(tmp_path, "leads.txt", "email|score\njane@example.com|72\nomar@example.com|5\n")
    assert [row.fields["score"] for row in read(path)] == [72, 5]


def test_single_column_csv_is_read(tmp_path):
    path = write(tmp_path, "leads.csv", "email\njane@example.com\nomar@example.com\n")
    assert [row.fields for row in read(path)] == [
        {"email": "jane@example.com"}, {"email": "omar@example.com"}
    ]


def test_quoted_value_with_line_breaks_is_one_record_named_by_its_first_line(tmp_path):
    path = write(
        tmp_path,
        "leads.csv",
        'email,need\r\n'
        'jane@example.com,"Replace the CRM\r\nbefore Q3, says ""urgent"""\r\n'
        'omar@example.com,none\r\n',
    )
    assert read(path) == [
        Row(2, None, {"email": "jane@example.com",
                      "need": 'Replace the CRM\r\nbefore Q3, says "urgent"'}),
        Row(4, None, {"email": "omar@example.com", "need": "none"}),
    ]


def test_doubled_quotes_beyond_the_sniffed_sample_are_read(tmp_path):
    # The dialect is sniffed from the start of the file, where no "" occurs.
    head = "".join(f'"lead{i}@example.com","Widget"\n' for i in range(2000))
    path = write(tmp_path, "leads.csv", 'email,product\n' + head + '"x@example.com","The ""Pro"" one"\n')
    rows = read(path)
    assert rows[-1] == Row(2002, None, {"email": "x@example.com", "product": 'The "Pro" one'})


def test_column_names_are_stripped_and_matched_case_insensitively(tmp_path):
    path = write(tmp_path, "leads.csv", " Email , SCORE \njane@example.com,72\n")
    assert read(path) == [Row(2, None, {"email": "jane@example.com", "score": 72})]


def test_blank_lines_and_lines_of_only_delimiters_are_skipped(tmp_path):
    path = write(tmp_path, "leads.csv", "\nemail,score\n\njane@example.com,72\n,\n , \n")
    assert read(path) == [Row(4, None, {"email": "jane@example.com", "score": 72})]


def test_row_with_fewer_cells_than_the_header_leaves_the_rest_null(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score,product\njane@example.com\n")
    assert read(path) == [Row(2, None, {"email": "jane@example.com"})]


def test_row_with_more_cells_than_the_header_is_bad(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score\njane@example.com,72,extra,more\nomar@example.com,5\n")
    assert read(path) == [
        BadRow(2, "has 4 cells but the header has 2"),
        Row(3, None, {"email": "omar@example.com", "score": 5}),
    ]


def test_blank_cells_beyond_the_header_are_ignored(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score\njane@example.com,72,,\n")
    assert read(path) == [Row(2, None, {"email": "jane@example.com", "score": 72})]


def test_unnamed_header_column_with_blank_cells_is_ignored(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score,\njane@example.com,72,\n")
    assert read(path) == [Row(2, None, {"email": "jane@example.com", "score": 72})]


def test_value_under_an_unnamed_header_column_is_a_bad_row(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score,\njane@example.com,72,hot\n")
    assert read(path) == [
        BadRow(2, "has a value in column 3, which has no name in the header "
                  "(name the column in the header, or pass --extra ignore)")
    ]


# --- nulls, ids and mapping --------------------------------------------------------------


def test_null_tokens_and_blank_cells_leave_the_field_out(tmp_path):
    path = write(
        tmp_path,
        "leads.csv",
        "email,persona,score,product\njane@example.com, Select ,N/A,  \n",
    )
    assert read(path, nulls=["Select", "N/A"]) == [Row(2, None, {"email": "jane@example.com"})]


def test_null_token_must_be_the_whole_cell(tmp_path):
    path = write(tmp_path, "leads.csv", "email,product\njane@example.com,N/A edition\n")
    assert read(path, nulls=["N/A"])[0].fields["product"] == "N/A edition"


def test_without_null_tokens_select_is_a_bad_choice(tmp_path):
    path = write(tmp_path, "leads.csv", "email,persona\njane@example.com,Select\n")
    assert read(path) == [
        BadRow(2, "field 'persona': 'Select' is not one of the choices "
                  "(executive, manager, practitioner)")
    ]


def test_id_column_gives_the_lead_id_and_a_blank_id_is_none(tmp_path):
    path = write(tmp_path, "leads.csv", "ID,email\n  L-1 ,jane@example.com\n,omar@example.com\n")
    assert read(path) == [
        Row(2, "L-1", {"email": "jane@example.com"}),
        Row(3, None, {"email": "omar@example.com"}),
    ]


def test_map_renames_columns_to_fields_and_to_the_id(tmp_path):
    path = write(
        tmp_path,
        "leads.csv",
        "Lead Number,E-mail Address,Lead Score\nCRM-7,jane@example.com,80\n",
    )
    mapping = parse_map(["Lead Number=id", "E-mail Address=email", "lead score=score"])
    assert read(path, mapping) == [Row(2, "CRM-7", {"email": "jane@example.com", "score": 80})]


def test_map_wins_over_a_column_named_like_a_field(tmp_path):
    path = write(tmp_path, "leads.csv", "email,work email\nold@example.com,new@example.com\n")
    rows = read(path, parse_map(["work email=email", "email="]))
    assert rows == [Row(2, None, {"email": "new@example.com"})]


def test_map_with_no_field_leaves_the_column_out(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Notes\njane@example.com,call after 5\n")
    assert read(path, parse_map(["Notes="])) == [Row(2, None, {"email": "jane@example.com"})]


def test_parse_map_splits_on_the_last_equals_sign():
    assert parse_map(["Score = Points=score", " E-mail =email"]) == {
        "Score = Points": "score",
        "E-mail": "email",
    }


@pytest.mark.parametrize("option", ["email", "=email"])
def test_parse_map_without_a_column_is_refused(option):
    with pytest.raises(ImportRefused) as caught:
        parse_map([option])
    assert caught.value.reason == (
        f"--map {option!r} is not COLUMN=FIELD; write it like --map \"E-mail=email\""
    )


def test_parse_map_with_one_column_mapped_twice_is_refused():
    with pytest.raises(ImportRefused) as caught:
        parse_map(["Mail=email", "Mail=phone"])
    assert caught.value.reason == "--map gives column 'Mail' twice (email and phone); keep one"


def test_map_to_something_that_is_not_a_field_is_refused_listing_the_fields(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Region\njane@example.com,EMEA\n")
    assert refused(path, {"Region": "territory"}) == (
        f"--map 'Region=territory': 'territory' is not a field (map to one of: id, {FIELD_LIST})"
    )


def test_map_of_a_column_the_file_does_not_have_is_refused_listing_its_columns(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Region\njane@example.com,EMEA\n")
    assert refused(path, {"Regoin": "source", "Region": ""}) == (
        f"--map 'Regoin=source': {path} has no column 'Regoin' (its columns: 'email', 'Region')"
    )


def test_two_columns_filling_one_field_are_refused_naming_both(tmp_path):
    path = write(tmp_path, "leads.csv", "Email,E-mail\njane@example.com,j@example.com\n")
    assert refused(path, {"E-mail": "email"}) == (
        "columns 'Email' and 'E-mail' both fill field 'email'. "
        'Keep one: leave the other out with --map "E-mail="'
    )


def test_two_columns_with_the_same_name_for_one_field_are_refused(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score,email\njane@example.com,1,j@example.com\n")
    assert refused(path) == (
        "2 columns are named 'email' (columns 1 and 3) and all fill field 'email'; "
        "rename or delete the extra ones in the file"
    )


# --- extra columns -------------------------------------------------------------------------


def test_extra_error_names_every_column_that_matches_no_field(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Company,score,Notes,Region\njane@example.com,Acme,1,,\n")
    assert refused(path) == (
        "columns that match no field: 'Company', 'Notes' and 'Region'. Map each one to a field "
        f'with --map "COLUMN=field" (fields: {FIELD_LIST}), or pass --extra ignore to leave them out'
    )


def test_extra_error_with_one_unknown_column_speaks_of_it(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Company\njane@example.com,Acme\n")
    assert refused(path) == (
        "a column that matches no field: 'Company'. Map it to a field "
        f'with --map "COLUMN=field" (fields: {FIELD_LIST}), or pass --extra ignore to leave it out'
    )


def test_extra_ignore_leaves_unknown_columns_out(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Company,Notes\njane@example.com,Acme,VIP\n")
    assert read(path, extra="ignore") == [Row(2, None, {"email": "jane@example.com"})]


def test_file_whose_columns_match_nothing_is_refused_even_with_extra_ignore(tmp_path):
    path = write(tmp_path, "leads.csv", "Name;Company\nJane;Acme\n")
    assert refused(path, extra="ignore") == (
        f"none of the columns of {path} ('Name', 'Company') is a field or the id; "
        f'map them with --map "COLUMN=field" (fields: {FIELD_LIST})'
    )


def test_extra_must_be_error_or_ignore(tmp_path):
    path = write(tmp_path, "leads.csv", "email\njane@example.com\n")
    assert refused(path, extra="skip") == "--extra must be error or ignore, not 'skip'"


# --- bad rows -----------------------------------------------------------------------------


def test_nul_byte_row_is_bad_and_reading_goes_on(tmp_path):
    path = write(tmp_path, "leads.csv", b"email,product\na@example.com,Wid\x00get\nb@example.com,Gadget\n")
    assert read(path) == [
        BadRow(2, "contains a NUL byte"),
        Row(3, None, {"email": "b@example.com", "product": "Gadget"}),
    ]


def test_invalid_utf8_row_is_named_by_its_line(tmp_path):
    path = write(tmp_path, "leads.csv", b"email,product\na@example.com,Caf\xe9\nb@example.com,Caf\xc3\xa9\n")
    assert read(path) == [
        BadRow(2, "contains bytes that are not valid UTF-8 (save the file as UTF-8)"),
        Row(3, None, {"email": "b@example.com", "product": "Café"}),
    ]


def test_invalid_utf8_inside_a_multiline_record_names_the_line_it_starts_on(tmp_path):
    path = write(
        tmp_path,
        "leads.csv",
        b'email,need\na@example.com,"first line\nsecond \xff line"\nb@example.com,ok\n',
    )
    assert read(path) == [
        BadRow(2, "contains bytes that are not valid UTF-8 (save the file as UTF-8)"),
        Row(4, None, {"email": "b@example.com", "need": "ok"}),
    ]


@pytest.mark.parametrize(
    "column, cell, reason",
    [
        ("email", "jane.example.com",
         "'jane.example.com' is not an email address (it has no @; write it like jane@example.com)"),
        ("phone", "call me",
         "'call me' is not a phone number (use digits, with an optional leading + and spaces, "
         "dashes, dots or brackets, like +44 20 7946 0958)"),
        ("persona", "ceo", "'ceo' is not one of the choices (executive, manager, practitioner)"),
        ("score", "abc", "'abc' is not a whole number (use digits, like 12)"),
        ("budget", "1.000,50",
         "'1.000,50' is not a number (leave out the thousands separators and use a dot for "
         "decimals, like 1000 or 1.5)"),
        ("authority", "maybe", "'maybe' is not yes or no (use true/false, yes/no, y/n or 1/0)"),
        ("timeline", "25/12/2026", "'25/12/2026' is not a date (use YYYY-MM-DD, like 2026-12-25)"),
        ("product", "two\nlines",
         "'two\\nlines' has a line break (this field takes a single line: remove the line break)"),
    ],
)
def test_bad_value_is_a_bad_row_naming_the_field(tmp_path, column, cell, reason):
    path = write(tmp_path, "leads.csv", f'{column},id\n"{cell}",L-1\n')
    assert read(path)[0] == BadRow(2, f"field {column!r}: {reason}")


def test_id_with_a_line_break_is_a_bad_row(tmp_path):
    path = write(tmp_path, "leads.csv", 'id,email\n"L\n1",jane@example.com\n')
    assert read(path) == [BadRow(2, "the id 'L\\n1' has a line break (an id is a single line)")]


# --- whole-file refusals --------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path):
    path = write(tmp_path, "leads.csv", b"\xef\xbb\xbf \n\n")
    assert refused(path) == (
        f"{path} is empty; it needs a header row naming the columns, then one lead a line"
    )


def test_missing_file_is_refused(tmp_path):
    path = tmp_path / "nope.csv"
    assert refused(path) == f"cannot read {path}: there is no such file"


def test_folder_is_refused(tmp_path):
    assert refused(tmp_path) == f"cannot read {tmp_path}: it is a folder, not a file"


def test_spreadsheet_workbook_is_refused(tmp_path):
    path = write(tmp_path, "leads.xlsx", b"PK\x03\x04\x14\x00\x06\x00rest of a zip")
    assert refused(path) == (
        f"{path} is a spreadsheet workbook, not a CSV file; save it as CSV UTF-8 and import it again"
    )


def test_utf16_file_is_refused(tmp_path):
    path = write(tmp_path, "leads.csv", "email\njane@example.com\n".encode("utf-16"))
    assert refused(path) == (
        f"{path} is saved as UTF-16 text; save it as CSV UTF-8 (or as JSON lines) and import it again"
    )


def test_binary_file_is_refused(tmp_path):
    path = write(tmp_path, "leads.csv", b"email\x00\x01\x02\njane\n")
    assert refused(path) == f"{path} is not a CSV or JSON lines file (its first line has a NUL byte)"


def test_header_with_invalid_utf8_is_refused(tmp_path):
    path = write(tmp_path, "leads.csv", b"email,Soci\xe9t\xe9\njane@example.com,Acme\n")
    assert refused(path) == (
        f"the header row of {path} (line 1) contains bytes that are not valid UTF-8 "
        "(save the file as UTF-8)"
    )


def test_json_array_is_refused(tmp_path):
    path = write(tmp_path, "leads.json", '[{"email": "jane@example.com"}]')
    assert refused(path) == (
        f'{path} is a JSON array, not JSON lines (each line must be one object, '
        'like {"email": "jane@example.com"})'
    )


def test_pretty_printed_json_object_is_refused(tmp_path):
    path = write(tmp_path, "leads.json", '{\n  "email": "jane@example.com"\n}\n')
    assert refused(path) == (
        f"{path} is one JSON object spread over several lines, not JSON lines "
        '(each line must be one object, like {"email": "jane@example.com"})'
    )


def test_csv_named_jsonl_is_refused(tmp_path):
    path = write(tmp_path, "leads.jsonl", "email\njane@example.com\n")
    assert refused(path) == (
        f"{path} is not JSON lines: it does not start with an object "
        '(each line must be one object, like {"email": "jane@example.com"})'
    )


def test_every_problem_with_the_options_and_header_is_named_at_once(tmp_path):
    path = write(tmp_path, "leads.csv", "email,Company\njane@example.com,Acme\n")
    reason = refused(path, {"Region": "territory"})
    assert reason == "; ".join([  # one line: the CLI prints it after "Error: "
        f"--map 'Region=territory': 'territory' is not a field (map to one of: id, {FIELD_LIST})",
        f"--map 'Region=territory': {path} has no column 'Region' (its columns: 'email', 'Company')",
        "a column that matches no field: 'Company'. Map it to a field "
        f'with --map "COLUMN=field" (fields: {FIELD_LIST}), or pass --extra ignore to leave it out',
    ])


def test_a_mistyped_map_column_suggests_the_column_and_is_the_only_problem_named(tmp_path):
    """The file's 'Email Address' is what `--map "Emial Address=email"` meant:
    it is not named a second time as a column that matches no field."""
    path = write(tmp_path, "leads.csv", "Email Address,score\njane@example.com,5\n")
    assert refused(path, {"Emial Address": "email"}) == (
        f"--map 'Emial Address=email': {path} has no column 'Emial Address'; did you mean "
        "'Email Address'? (its columns: 'Email Address', 'score')"
    )


def test_every_bad_cell_of_a_csv_row_is_named(tmp_path):
    path = write(tmp_path, "leads.csv", "email;persona;score;authority\njane@example.com;boss;x;maybe\n")
    assert read(path) == [BadRow(2, "; ".join([
        "field 'persona': 'boss' is not one of the choices (executive, manager, practitioner)",
        "field 'score': 'x' is not a whole number (use digits, like 12)",
        "field 'authority': 'maybe' is not yes or no (use true/false, yes/no, y/n or 1/0)",
    ]))]


def test_every_bad_value_of_a_json_row_is_named(tmp_path):
    line = {"email": "jane@example.com", "persona": "boss", "score": "x", "authority": "maybe"}
    path = write(tmp_path, "leads.jsonl", json.dumps(line) + "\n")
    assert read(path) == [BadRow(1, "; ".join([
        "field 'persona': 'boss' is not one of the choices (executive, manager, practitioner)",
        "field 'score': 'x' is not a whole number (use digits, like 12)",
        "field 'authority': 'maybe' is not yes or no (use true/false, yes/no, y/n or 1/0)",
    ]))]


def test_an_id_with_a_space_or_control_character_is_a_bad_row(tmp_path):
    path = write(tmp_path, "leads.csv", "id,email\nA 1,a@example.com\nA\x072,b@example.com\nA-3,c@example.com\n")
    rule = "(an id is one word: letters, digits and marks like - _ . : or /, like L-100)"
    assert read(path) == [
        BadRow(2, f"the id 'A 1' has a space in it {rule}"),
        BadRow(3, f"the id 'A\\x072' has a control or invisible character in it {rule}"),
        Row(4, "A-3", {"email": "c@example.com"}),
    ]
    jsonl = write(tmp_path, "leads.jsonl", '{"id": "A 1", "email": "a@example.com"}\n')
    assert read(jsonl) == [BadRow(1, f"the id 'A 1' has a space in it {rule}")]


def test_a_date_with_a_time_of_day_is_a_bad_row_and_a_midnight_timestamp_is_a_date(tmp_path):
    path = write(tmp_path, "leads.csv", "email,timeline\na@example.com,2027-02-01T10:00\nb@example.com,2027-02-01T00:00:00Z\n")
    assert read(path) == [
        BadRow(2, "field 'timeline': '2027-02-01T10:00' has a time of day, but this field holds a date only "
                  "(write the date alone as YYYY-MM-DD, like 2027-02-01)"),
        Row(3, None, {"email": "b@example.com", "timeline": "2027-02-01"}),
    ]


def test_the_fields_a_row_gives_empty_are_known_so_they_are_null_not_their_default(tmp_path):
    path = write(tmp_path, "leads.csv", "email,score,budget\na@example.com,,N/A\nb@example.com\n")
    rows = read(path, nulls=["N/A"])
    assert [row.blank for row in rows] == [frozenset({"score", "budget"}), frozenset({"score", "budget"})]
    jsonl = write(tmp_path, "leads.jsonl", '{"email": "a@example.com", "score": null, "budget": " "}\n{"email": "b@example.com"}\n')
    assert [row.blank for row in read(jsonl)] == [frozenset({"score", "budget"}), frozenset()]


# --- JSON lines ---------------------------------------------------------------------------


def test_json_lines_rows_take_native_values(tmp_path):
    lines = [
        {"id": "L-1", "email": "jane@example.com", "score": 72, "budget": 1500,
         "authority": True, "timeline": "2026-12-25", "persona": "Executive"},
        {"id": 42, "email": "omar@example.com", "phone": 447700900123, "score": "12.0", "need": None},
    ]
    path = write(tmp_path, "leads.jsonl", "".join(json.dumps(line) + "\n" for line in lines))
    assert read(path) == [
        Row(1, "L-1", {"email": "jane@example.com", "score": 72, "budget": 1500.0,
                       "authority": True, "timeline": "2026-12-25", "persona": "executive"}),
        Row(2, "42", {"email": "omar@example.com", "phone": "447700900123", "score": 12}),
    ]


def test_json_lines_are_recognised_by_their_first_character(tmp_path):
    path = write(tmp_path, "export.txt", '\n{"email": "jane@example.com"}\n')
    assert read(path) == [Row(2, None, {"email": "jane@example.com"})]


def test_json_lines_line_numbers_count_blank_lines_and_bad_lines_are_named(tmp_path):
    path = write(
        tmp_path,
        "leads.ndjson",
        '{"email": "jane@example.com"}\n\n{"email": "omar@\n[1, 2]\n{"score": 1.5}\n{"email": "ann@example.com"}\n',
    )
    assert read(path) == [
        Row(1, None, {"email": "jane@example.com"}),
        BadRow(3, 'is not valid JSON (each line must be one object, like {"email": "jane@example.com"})'),
        BadRow(4, 'is not a JSON object (each line must be one object, like {"email": "jane@example.com"})'),
        BadRow(5, "field 'score': 1.5 is not a whole number (use digits, like 12)"),
        Row(6, None, {"email": "ann@example.com"}),
    ]


def test_json_lines_with_bom_and_crlf_are_read(tmp_path):
    path = write(tmp_path, "leads.jsonl", b'\xef\xbb\xbf{"email": "jane@example.com"}\r\n{"score": 3}\r\n')
    assert read(path) == [Row(1, None, {"email": "jane@example.com"}), Row(2, None, {"score": 3})]


def test_json_lines_nul_byte_and_invalid_utf8_are_bad_rows(tmp_path):
    path = write(
        tmp_path,
        "leads.jsonl",
        b'{"product": "Wid\x00get"}\n{"product": "Caf\xe9"}\n{"product": "\\u0000"}\n{"product": "ok"}\n',
    )
    assert read(path) == [
        BadRow(1, "contains a NUL byte"),
        BadRow(2, "contains bytes that are not valid UTF-8 (save the file as UTF-8)"),
        BadRow(3, "field 'product': contains a NUL byte"),
        Row(4, None, {"product": "ok"}),
    ]


def test_json_lines_null_tokens_and_blank_strings_are_null(tmp_path):
    path = write(tmp_path, "leads.jsonl", '{"email": "jane@example.com", "persona": "Select", "product": " ", "id": "N/A"}\n')
    assert read(path, nulls=["Select", "N/A"]) == [Row(1, None, {"email": "jane@example.com"})]


def test_json_lines_keys_follow_the_map(tmp_path):
    path = write(tmp_path, "leads.jsonl", '{"crm_id": "C-9", "Mail": "jane@example.com", "Notes": "x"}\n')
    rows = read(path, parse_map(["crm_id=id", "mail=email", "Notes="]))
    assert rows == [Row(1, "C-9", {"email": "jane@example.com"})]


def test_json_lines_unknown_keys_in_the_first_lines_refuse_the_file(tmp_path):
    path = write(
        tmp_path,
        "leads.jsonl",
        '{"email": "jane@example.com", "company": "Acme"}\n{"email": "o@example.com", "notes": "x"}\n',
    )
    assert refused(path) == (
        "keys that match no field: 'company' and 'notes'. Map each one to a field "
        f'with --map "KEY=field" (fields: {FIELD_LIST}), or pass --extra ignore to leave them out'
    )


def test_json_lines_unknown_key_further_down_is_a_bad_row(tmp_path):
    good = '{"email": "lead@example.com", "score": 1}\n' * 3000  # beyond the first 64 KiB
    path = write(tmp_path, "leads.jsonl", good + '{"email": "jane@example.com", "company": "Acme"}\n')
    rows = read(path)
    assert len(rows) == 3001
    assert rows[-1] == BadRow(
        3001,
        "a key that matches no field: 'company'. Map it to a field "
        f'with --map "KEY=field" (fields: {FIELD_LIST}), or pass --extra ignore to leave it out',
    )


def test_json_lines_unknown_keys_are_left_out_with_extra_ignore(tmp_path):
    path = write(tmp_path, "leads.jsonl", '{"email": "jane@example.com", "company": "Acme"}\n')
    assert read(path, extra="ignore") == [Row(1, None, {"email": "jane@example.com"})]


def test_json_lines_two_keys_filling_one_field_are_a_bad_row(tmp_path):
    path = write(tmp_path, "leads.jsonl", '{"email": "a@example.com", "Email": "b@example.com"}\n{"email": "c@example.com"}\n')
    assert read(path) == [
        BadRow(1, "keys 'email' and 'Email' both fill field 'email'; keep one"),
        Row(2, None, {"email": "c@example.com"}),
    ]


def test_json_lines_id_that_is_not_text_or_a_whole_number_is_a_bad_row(tmp_path):
    path = write(tmp_path, "leads.jsonl", '{"id": [1], "email": "jane@example.com"}\n')
    assert read(path) == [BadRow(1, "the id [1] is not text or a whole number")]


# --- streaming and progress -----------------------------------------------------------------


def test_200000_rows_stream_without_reading_the_whole_file_first(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write("id,email,score,persona\n")
        for i in range(200_000):
            f.write(f"L{i},lead{i}@example.com,{i % 100},manager\n")
    lead_file = LeadFile(path, FIELDS, {}, ())
    assert lead_file.bytes_read == 0
    rows = iter(lead_file)
    first = next(rows)
    assert first == Row(2, "L0", {"email": "lead0@example.com", "score": 0, "persona": "manager"})
    assert 0 < lead_file.bytes_read < lead_file.size // 20
    count = 1 + sum(1 for _ in rows)
    assert count == 200_000
    assert lead_file.bytes_read == lead_file.size == path.stat().st_size


def test_json_lines_stream_too(tmp_path):
    path = tmp_path / "big.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for i in range(50_000):
            f.write(f'{{"id": "L{i}", "score": {i}}}\n')
    lead_file = LeadFile(path, FIELDS, {}, ())
    rows = iter(lead_file)
    assert next(rows) == Row(1, "L0", {"score": 0})
    assert 0 < lead_file.bytes_read < lead_file.size // 10
    assert sum(1 for _ in rows) == 49_999
    assert lead_file.bytes_read == lead_file.size


def test_iterating_again_reads_the_file_again(tmp_path):
    path = write(tmp_path, "leads.csv", "email\njane@example.com\n")
    lead_file = LeadFile(path, FIELDS, {}, ())
    assert list(lead_file) == list(lead_file) == [Row(2, None, {"email": "jane@example.com"})]
