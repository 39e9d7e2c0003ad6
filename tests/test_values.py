"""Field values parse by type, from text (CLI, CSV) and from JSON."""

import pytest

from statemachine.values import (
    FIELD_TYPES,
    BadValue,
    lead_id_problem,
    parse_json,
    parse_text,
)

PERSONAS = ("executive", "manager", "practitioner")


def refusal(ftype, raw, choices=()):
    with pytest.raises(BadValue) as caught:
        parse_text(ftype, raw, choices)
    return caught.value.reason


def json_refusal(ftype, value, choices=()):
    with pytest.raises(BadValue) as caught:
        parse_json(ftype, value, choices)
    return caught.value.reason


@pytest.mark.parametrize("ftype", FIELD_TYPES)
@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_empty_value_is_null_for_every_type(ftype, raw):
    assert parse_text(ftype, raw, PERSONAS) is None


@pytest.mark.parametrize("ftype", FIELD_TYPES)
def test_json_null_is_null_for_every_type(ftype):
    assert parse_json(ftype, None, PERSONAS) is None


@pytest.mark.parametrize("ftype", FIELD_TYPES)
def test_nul_character_is_refused_for_every_type(ftype):
    assert refusal(ftype, "ab\x00c", PERSONAS) == "contains a NUL byte"


@pytest.mark.parametrize("ftype", FIELD_TYPES)
def test_undecodable_bytes_are_refused_for_every_type(ftype):
    # A command line argument with bytes that are not UTF-8 reaches Python
    # as lone surrogates (surrogateescape).
    raw = b"caf\xe9".decode("utf-8", "surrogateescape")
    assert refusal(ftype, raw, PERSONAS) == "contains bytes that are not valid UTF-8"


def test_unknown_type_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown field type 'money'"):
        parse_text("money", "12")


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("true", True), ("TRUE", True), (" Yes ", True), ("y", True), ("Y", True), ("1", True),
        ("false", False), ("False", False), ("NO", False), ("n", False), ("0", False),
    ],
)
def test_boolean_accepts_true_false_yes_no_y_n_1_0_in_any_case(raw, expected):
    assert parse_text("boolean", raw) is expected


def test_boolean_refusal_lists_the_accepted_words():
    assert refusal("boolean", "maybe") == (
        "'maybe' is not yes or no (use true/false, yes/no, y/n or 1/0)"
    )


@pytest.mark.parametrize(
    "raw, expected", [("12", 12), ("12.0", 12), ("12.", 12), ("-3", -3), ("+7", 7), (" 12 ", 12), ("007", 7)]
)
def test_integer_accepts_whole_numbers(raw, expected):
    value = parse_text("integer", raw)
    assert value == expected and type(value) is int


@pytest.mark.parametrize("raw", ["12.5", "1e3", "abc", "1_000", "12 000", "٣"])
def test_integer_refuses_what_is_not_a_whole_number(raw):
    assert refusal("integer", raw) == f"{raw!r} is not a whole number (use digits, like 12)"


def test_integer_with_thousands_separators_says_to_leave_them_out():
    assert refusal("integer", "1,000") == (
        "'1,000' is not a whole number (leave out the thousands separators, like 1000)"
    )


def test_integer_beyond_64_bits_is_refused():
    assert refusal("integer", "9223372036854775808") == (
        "'9223372036854775808' is too large (whole numbers go up to 9223372036854775807)"
    )
    assert parse_text("integer", "9223372036854775807") == 2**63 - 1


@pytest.mark.parametrize(
    "raw, expected",
    [("1.5", 1.5), ("-2", -2.0), ("12", 12.0), ("1e3", 1000.0), (".5", 0.5), (" 3.25 ", 3.25), ("-0", 0.0)],
)
def test_number_accepts_decimals_and_is_always_a_float(raw, expected):
    value = parse_text("number", raw)
    assert value == expected and type(value) is float


def test_number_with_a_comma_says_to_use_a_dot_and_no_separators():
    assert refusal("number", "1,000") == (
        "'1,000' is not a number (leave out the thousands separators and use a dot "
        "for decimals, like 1000 or 1.5)"
    )


@pytest.mark.parametrize("raw", ["abc", "$100", "nan", "inf", "1.2.3"])
def test_number_refuses_what_is_not_a_number(raw):
    assert refusal("number", raw) == (
        f"{raw!r} is not a number (use digits, with a dot for decimals, like 1.5)"
    )


def test_number_too_large_for_a_float_is_refused():
    assert refusal("number", "1e999") == "'1e999' is too large for a number"


def test_date_is_kept_as_iso_text():
    assert parse_text("date", " 2026-12-25 ") == "2026-12-25"


@pytest.mark.parametrize(
    "raw", ["2026-12-25T00:00", "2026-12-25 00:00:00", "2026-12-25T00:00:00-05:00", "2026-12-25T00:00:00Z"]
)
def test_a_midnight_timestamp_keeps_the_calendar_date_as_written(raw):
    """CRM exports write dates as midnight timestamps; nothing is lost."""
    assert parse_text("date", raw) == "2026-12-25"


@pytest.mark.parametrize(
    "raw", ["2026-12-25T10:30:00", "2026-12-25 10:30", "2026-12-25T23:30:00-05:00", "2026-12-25T00:00:01"]
)
def test_a_date_with_a_time_of_day_is_refused_rather_than_cut_to_the_date(raw):
    assert refusal("date", raw) == (
        f"{raw!r} has a time of day, but this field holds a date only "
        "(write the date alone as YYYY-MM-DD, like 2026-12-25)"
    )


@pytest.mark.parametrize("lead_id", ["L-1", "CRM-7", "00Q5g000004XyZ", "acme:42", "ünïcode-1", "a/b.c_d#1"])
def test_an_id_of_one_word_is_accepted(lead_id):
    assert lead_id_problem(lead_id) is None


@pytest.mark.parametrize(
    "lead_id, why",
    [("a b", "a space"), ("a\tb", "a space"), ("a\u00a0b", "a space"), ("a\nb", "a line break"),
     ("a\x01b", "a control or invisible character"), ("a\u200bb", "a control or invisible character")],
)
def test_an_id_with_a_space_or_a_control_character_is_refused(lead_id, why):
    assert lead_id_problem(lead_id) == (
        f"{lead_id!r} has {why} in it "
        "(an id is one word: letters, digits and marks like - _ . : or /, like L-100)"
    )


@pytest.mark.parametrize("raw", ["25/12/2026", "12/25/2026", "20261225", "2026-12-25Tnoon", "next week"])
def test_date_in_another_format_says_how_to_write_it(raw):
    assert refusal("date", raw) == f"{raw!r} is not a date (use YYYY-MM-DD, like 2026-12-25)"


def test_date_that_does_not_exist_is_refused():
    assert refusal("date", "2026-02-30") == (
        "'2026-02-30' is not a real date (check the month and the day)"
    )


def test_choice_matches_exactly():
    assert parse_text("choice", "manager", PERSONAS) == "manager"


def test_choice_matches_case_insensitively_and_returns_the_declared_spelling():
    assert parse_text("choice", " MANAGER ", PERSONAS) == "manager"
    assert parse_text("choice", "Paid_Ad", ("webinar", "Paid_ad")) == "Paid_ad"


def test_choice_refusal_lists_the_choices():
    assert refusal("choice", "ceo", PERSONAS) == (
        "'ceo' is not one of the choices (executive, manager, practitioner)"
    )


@pytest.mark.parametrize("raw", ["jane@example.com", "j.doe+leads@mail.example.co.uk", " Jane@Example.COM "])
def test_email_accepts_an_address_and_keeps_it_as_written(raw):
    assert parse_text("email", raw) == raw.strip()


@pytest.mark.parametrize(
    "raw, why",
    [
        ("jane example.com", "it has a space in it"),
        ("jane.example.com", "it has no @"),
        ("jane@@example.com", "it has more than one @"),
        ("@example.com", "nothing comes before the @"),
        ("jane@localhost", "the part after the @ needs a dot, like example.com"),
        ("jane@example.", "the part after the @ is not a domain name like example.com"),
        ("jane@.com", "the part after the @ is not a domain name like example.com"),
    ],
)
def test_email_refusal_says_what_is_wrong(raw, why):
    assert refusal("email", raw) == (
        f"{raw!r} is not an email address ({why}; write it like jane@example.com)"
    )


@pytest.mark.parametrize("raw", ["+44 20 7946 0958", "(555) 123-4567", "555.123.4567", "12345"])
def test_phone_accepts_digits_with_separators_as_written(raw):
    assert parse_text("phone", raw) == raw


@pytest.mark.parametrize("raw", ["call me", "555-CALL-NOW", "44+20", "0800 123 ext 4"])
def test_phone_with_other_characters_is_refused(raw):
    assert refusal("phone", raw) == (
        f"{raw!r} is not a phone number (use digits, with an optional leading + and "
        "spaces, dashes, dots or brackets, like +44 20 7946 0958)"
    )


def test_phone_with_fewer_than_5_digits_is_refused():
    assert refusal("phone", "+1 23") == (
        "'+1 23' is too short for a phone number (it needs at least 5 digits)"
    )


def test_string_is_stripped():
    assert parse_text("string", "  Widget Pro  ") == "Widget Pro"


def test_string_with_a_line_break_is_refused():
    assert refusal("string", "Widget\nPro") == (
        "'Widget\\nPro' has a line break (this field takes a single line: remove the line break)"
    )


def test_text_keeps_line_breaks_and_spacing_as_written():
    assert parse_text("text", "  needs a CRM\r\n  by Q3 ") == "  needs a CRM\r\n  by Q3 "


def test_long_value_is_shortened_in_the_message():
    assert refusal("integer", "x" * 100) == (
        f"'{'x' * 37}...' is not a whole number (use digits, like 12)"
    )


# --- JSON values ----------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [(True, True), (False, False), (1, True), (0, False), ("yes", True)])
def test_json_boolean_takes_true_false_1_0_and_words(value, expected):
    assert parse_json("boolean", value) is expected


def test_json_boolean_refuses_other_numbers():
    assert json_refusal("boolean", 2) == "2 is not yes or no (use true or false, or 1 or 0)"


@pytest.mark.parametrize("value, expected", [(12, 12), (12.0, 12), (-3, -3), ("12", 12)])
def test_json_integer_takes_whole_numbers(value, expected):
    result = parse_json("integer", value)
    assert result == expected and type(result) is int


def test_json_integer_refuses_a_fraction():
    assert json_refusal("integer", 12.5) == "12.5 is not a whole number (use digits, like 12)"


def test_json_integer_refuses_true():
    assert json_refusal("integer", True) == "true is a yes/no value, not a whole number"


def test_json_integer_beyond_64_bits_is_refused():
    assert json_refusal("integer", 2**63) == (
        "9223372036854775808 is too large (whole numbers go up to 9223372036854775807)"
    )


@pytest.mark.parametrize("value, expected", [(12, 12.0), (1.5, 1.5), ("1.5", 1.5)])
def test_json_number_is_always_a_float(value, expected):
    result = parse_json("number", value)
    assert result == expected and type(result) is float


def test_json_number_in_a_phone_field_is_read_as_its_digits():
    assert parse_json("phone", 447700900123) == "447700900123"


def test_json_number_in_a_choice_field_matches_its_text():
    assert parse_json("choice", 2, ("1", "2", "3")) == "2"


def test_json_string_goes_through_the_text_rules():
    assert parse_json("date", "2026-12-25T00:00:00") == "2026-12-25"
    assert json_refusal("date", "2026-12-25T09:00:00").startswith("'2026-12-25T09:00:00' has a time of day")
    assert json_refusal("date", "25/12/2026") == (
        "'25/12/2026' is not a date (use YYYY-MM-DD, like 2026-12-25)"
    )


def test_json_true_in_a_text_field_is_refused():
    assert json_refusal("string", True) == "true is a yes/no value, not text"


def test_json_list_is_refused():
    assert json_refusal("string", ["a", "b"]) == '["a", "b"] is a list, but a field holds a single value'


def test_json_object_is_refused():
    assert json_refusal("integer", {"value": 1}) == (
        '{"value": 1} is an object, but a field holds a single value'
    )
