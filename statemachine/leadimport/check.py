"""Reading a CRM export as it is: CSV in any common dialect, or JSON lines.

`LeadFile` checks the file and the options (`--map`, `--null`, `--extra`) when
it is opened, raising `ImportRefused` for a problem with the whole file, then
streams one `Row` or `BadRow` per record, in file order, without reading the
file into memory. It writes nothing: the caller decides what to import.

Columns (CSV) and keys (JSON lines) are matched in this order: a `--map
"COLUMN=field"` entry (the column by exact name, else case-insensitively; an
empty field, `--map "COLUMN="`, leaves the column out), then a field of the
same name (exact, else case-insensitive), then `id`, which gives the lead id.
What is left follows `extra`: `error` refuses the file naming every such
column, `ignore` leaves them out. A value is null when it is blank or equals
one of the `--null` tokens (the whole value, after stripping spaces).

JSON lines have no header: the keys of the first 64 KiB are checked when the
file is opened, later keys row by row (an unknown one makes a bad row), and a
`--map` key that the file never uses is not an error.

The format is JSON lines for a `.jsonl`, `.ndjson` or `.json` file or one
whose first non-blank character is `{`; anything else is read as CSV, its
dialect (delimiter `,` `;` tab or `|`, quoting) sniffed from the first 64 KiB.
Text is UTF-8, with or without a byte order mark.

Line numbers are physical lines, the first line (a CSV header) being 1; a
record that spans several lines (a quoted value with line breaks) is named by
the line it starts on. A record with a NUL byte or bytes that are not UTF-8
is a bad row, and reading goes on with the next record. Blank lines, and CSV
records whose cells are all blank (a line of only commas), are skipped; so
are blank cells beyond the header and blank header names with blank cells,
which spreadsheets leave behind.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import BadMapOption, ImportRefused, closest
from ..values import BadValue, clean_parser, json_parser, lead_id_problem

__all__ = [
    "FieldSpec",
    "Row",
    "BadRow",
    "ImportRefused",
    "LeadFile",
    "parse_map",
]

ID = "id"
EXTRA_CHOICES = ("error", "ignore")
SNIFF_BYTES = 64 * 1024
# csv.Sniffer's quote detection takes time quadratic in its sample (0.3 s
# for 64 KiB of quoted cells); the first 16 KiB hold a hundred lines or more.
SNIFF_DIALECT_CHARS = 16 * 1024
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
DELIMITERS = ",;\t|"

BAD_UTF8 = "contains bytes that are not valid UTF-8 (save the file as UTF-8)"
HAS_NUL = "contains a NUL byte"
ONE_OBJECT_A_LINE = 'each line must be one object, like {"email": "jane@example.com"}'


@dataclass(frozen=True)
class FieldSpec:
    type: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    line: int  # where the record starts; for CSV the header is line 1
    id: str | None  # from a column named or mapped to "id"; None: generate one
    fields: dict[str, Any]  # parsed values, only the fields that are not null
    # fields the record gives but leaves empty: null, not the field's default
    blank: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def parse_map(options: Sequence[str]) -> dict[str, str]:
    """`--map` options, "COLUMN=field" each, as {column: field}.

    The split is on the last `=`, so a column name may contain `=`. An empty
    field ("Notes=") leaves that column out of the import."""
    mapping: dict[str, str] = {}
    for option in options:
        column, sep, field = option.rpartition("=")
        column, field = column.strip(), field.strip()
        if not sep or not column:
            raise BadMapOption(
                f"--map {option!r} is not COLUMN=FIELD; write it like --map \"E-mail=email\""
            )
        if column in mapping and mapping[column] != field:
            raise BadMapOption(
                f"--map gives column {column!r} twice ({mapping[column] or 'left out'} "
                f"and {field or 'left out'}); keep one"
            )
        mapping[column] = field
    return mapping


def _and_list(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _quoted_list(names: Sequence[str]) -> str:
    return _and_list([repr(n) for n in names])


def _line_problem(line: str) -> str | None:
    """Why a line decoded with surrogateescape cannot be imported, or None."""
    if "\x00" in line:
        return HAS_NUL
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            return BAD_UTF8
    return None


def _sniff_dialect(sample: str) -> type[csv.Dialect]:
    """The CSV dialect, from the first lines of the file."""
    if len(sample) > SNIFF_DIALECT_CHARS:
        cut = max(sample.rfind("\n", 0, SNIFF_DIALECT_CHARS), sample.rfind("\r", 0, SNIFF_DIALECT_CHARS))
        sample = sample[: cut + 1] if cut > 0 else sample
    first_line = next((ln for ln in sample.splitlines() if ln.strip()), "")
    delimiter, quotechar, skipinitialspace = ",", '"', False
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS)
    except csv.Error:
        sniffed = None
    if sniffed is not None:
        delimiter = sniffed.delimiter
        quotechar = sniffed.quotechar or '"'
        skipinitialspace = sniffed.skipinitialspace
    if sniffed is None or delimiter not in first_line:
        # The header names every column, so it holds the most delimiters.
        counts = {d: first_line.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        if counts[best]:
            delimiter = best

    class Sniffed(csv.Dialect):
        lineterminator = "\r\n"
        quoting = csv.QUOTE_MINIMAL
        escapechar = None
        # Sniffer says doublequote=False whenever its sample has no "" in it,
        # and a later "" would then be misread: doubled quotes are standard.
        doublequote = True
        strict = False

    Sniffed.delimiter = delimiter
    Sniffed.quotechar = quotechar
    Sniffed.skipinitialspace = skipinitialspace
    return Sniffed


_Target = tuple[str | None, bool]  # (field, "id" or None to leave out; understood)


class _Matching:
    """Which field, or the id, a column or key fills: the rules shared by CSV
    and JSON lines."""

    def __init__(self, fields: Mapping[str, FieldSpec], mapping: Mapping[str, str]):
        self.fields = fields
        self.mapping = dict(mapping)
        self.folded_fields: dict[str, str] = {}
        for name in fields:
            self.folded_fields.setdefault(name.casefold(), name)
        self.folded_mapping: dict[str, str] = {}
        for column in mapping:
            self.folded_mapping.setdefault(column.casefold(), column)

    def field_named(self, name: str) -> str | None:
        if name == ID or name in self.fields:
            return name
        folded = name.casefold()
        if folded == ID:
            return ID
        return self.folded_fields.get(folded)

    def option_problems(self) -> list[str]:
        return [
            f"--map {column + '=' + target!r}: {target!r} is not a field "
            f"(map to one of: {', '.join([ID, *self.fields])})"
            for column, target in self.mapping.items()
            if target and self.field_named(target) is None
        ]

    def mapping_for(self, name: str) -> str | None:
        """The `--map` column entry that names this column, if any."""
        if name in self.mapping:
            return name
        return self.folded_mapping.get(name.casefold())

    def target(self, name: str) -> _Target:
        key = self.mapping_for(name)
        if key is not None:
            target = self.mapping[key]
            return (self.field_named(target) if target else None), True
        field = self.field_named(name)
        return field, field is not None

    def unknown_message(self, names: Sequence[str], what: str) -> str:
        listed = _quoted_list(names)
        fields = ", ".join(self.fields)
        if len(names) == 1:
            from statemachine.errors import closest

            near = closest(names[0], list(self.fields))
            example = f'--map "{names[0]}={near}"' if near else f'--map "{what.upper()}=field"'
            return (
                f"a {what} that matches no field: {listed}. Map it to a field with "
                f"{example} (fields: {fields}), or pass --extra ignore to leave it out"
            )
        return (
            f"{what}s that match no field: {listed}. Map each one to a field with "
            f'--map "{what.upper()}=field" (fields: {fields}), or pass --extra ignore '
            "to leave them out"
        )


def _what(target: str) -> str:
    return "the lead id" if target == ID else f"field {target!r}"


_PlanEntry = tuple[int, str, Callable[[str], Any], bool]
_KeyEntry = tuple[str | None, Callable[[Any], Any] | None, bool]


class LeadFile:
    """A CRM export to import: CSV (any common dialect) or JSON lines.

    Opening checks the file and the options and raises `ImportRefused`.
    Iterating yields `Row` or `BadRow` in file order, streaming; each
    iteration reads the file again from the start and closes it at the end.
    `size` and `bytes_read` measure progress for a progress bar."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        fields: Mapping[str, FieldSpec],
        mapping: Mapping[str, str],
        nulls: Collection[str],
        extra: str = "error",
    ):
        self.path = os.fspath(path)
        self._matching = _Matching(fields, mapping)
        self._nulls = frozenset(n.strip() for n in nulls)
        self._extra = extra
        self._stream: IO[bytes] | None = None
        self._bytes_done = 0

        problems = self._matching.option_problems()
        if extra not in EXTRA_CHOICES:
            problems.append(f"--extra must be error or ignore, not {extra!r}")
        sample = self._read_sample()
        self.format = self._detect_format(sample)
        text = sample.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
        if len(sample) == SNIFF_BYTES:  # keep whole lines only
            text = text[: max(text.rfind("\n"), text.rfind("\r")) + 1]
        if self.format == "csv":
            self._dialect = _sniff_dialect(text)
            with self._reading() as lines:
                self._header_line, self._columns = self._read_header(lines)
            self._bytes_done = 0
            problems += self._plan_columns()
        else:
            problems += self._sample_problems(text)
        if problems:
            raise ImportRefused("; ".join(problems))  # one line, as every error

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._size

    @property
    def bytes_read(self) -> int:
        """How far the current (or last) iteration has read, in bytes."""
        if self._stream is not None and not self._stream.closed:
            return self._stream.tell()
        return self._bytes_done

    def follow(self, bytes_read: int) -> None:
        """How far another process iterating this file has read it (`lead
        import` reads in a child process), so that `bytes_read` here says."""
        self._bytes_done = bytes_read

    def __iter__(self) -> Iterator[Row | BadRow]:
        if self.format == "csv":
            return self._csv_rows()
        return self._json_rows()

    # --- the whole file --------------------------------------------------------

    def _cannot_read(self, error: OSError) -> ImportRefused:
        if isinstance(error, FileNotFoundError):
            why = "there is no such file"
        elif isinstance(error, IsADirectoryError):
            why = "it is a folder, not a file"
        elif isinstance(error, PermissionError):
            why = "permission denied"
        else:
            why = error.strerror or str(error)
        return ImportRefused(f"cannot read {self.path}: {why}")

    def _read_sample(self) -> bytes:
        try:
            with open(self.path, "rb") as f:
                self._size = os.fstat(f.fileno()).st_size
                return f.read(SNIFF_BYTES)
        except OSError as e:
            raise self._cannot_read(e) from None

    @contextmanager
    def _reading(self) -> Iterator[io.TextIOWrapper]:
        """The file as text, for one pass; `bytes_read` follows it."""
        try:
            stream = open(self.path, "rb")
        except OSError as e:
            raise self._cannot_read(e) from None
        self._stream = stream
        # newline="": the csv module sees line breaks inside quoted values as
        # written, and \r, \n and \r\n all end a physical line.
        text = io.TextIOWrapper(
            stream, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        try:
            yield text
        finally:
            self._bytes_done = stream.tell()
            self._stream = None
            text.close()

    def _detect_format(self, sample: bytes) -> str:
        if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportRefused(
                f"{self.path} is saved as UTF-16 text; save it as CSV UTF-8 "
                "(or as JSON lines) and import it again"
            )
        if sample.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
            raise ImportRefused(
                f"{self.path} is a spreadsheet workbook, not a CSV file; "
                "save it as CSV UTF-8 and import it again"
            )
        start = sample.removeprefix(codecs.BOM_UTF8).lstrip()
        if not start:
            raise ImportRefused(
                f"{self.path} is empty; it needs a header row naming the columns, "
                "then one lead a line"
            )
        if start.startswith(b"{"):
            return "jsonl"
        if start.startswith(b"["):
            raise ImportRefused(
                f"{self.path} is a JSON array, not JSON lines ({ONE_OBJECT_A_LINE})"
            )
        if self.path.lower().endswith(JSON_SUFFIXES):
            raise ImportRefused(
                f"{self.path} is not JSON lines: it does not start with an object "
                f"({ONE_OBJECT_A_LINE})"
            )
        return "csv"

    # --- CSV -------------------------------------------------------------------

    def _read_header(self, lines: io.TextIOWrapper) -> tuple[int, list[str]]:
        """(the header's line, the column names, stripped)."""
        reader = csv.reader(lines, self._dialect)
        before = 0
        for record in reader:
            if any(cell.strip() for cell in record):
                line, columns = before + 1, [cell.strip() for cell in record]
                break
            before = reader.line_num
        else:
            raise ImportRefused(
                f"{self.path} has no header row; its first line must name the columns, "
                "like email,phone,source"
            )
        problem = _line_problem("".join(columns))
        if problem == HAS_NUL:
            raise ImportRefused(
                f"{self.path} is not a CSV or JSON lines file (its first line has a NUL byte)"
            )
        if problem is not None:
            raise ImportRefused(f"the header row of {self.path} (line {line}) {BAD_UTF8}")
        return line, columns

    def _plan_columns(self) -> list[str]:
        """Decide what each column fills; the problems that refuse the file."""
        matching, columns = self._matching, self._columns
        problems: list[str] = []
        by_target: dict[str, list[int]] = {}
        unknown: dict[str, None] = {}  # in file order, once each
        for index, name in enumerate(columns):
            if not name:
                continue  # a column without a name: its cells must be blank
            target, understood = matching.target(name)
            if target is not None:
                by_target.setdefault(target, []).append(index)
            elif not understood:
                unknown[name] = None

        listed_columns = ", ".join(repr(c) for c in columns if c)
        folded_columns = {c.casefold() for c in columns}
        for column, target in matching.mapping.items():
            if column.casefold() not in folded_columns:
                near = closest(column, [c for c in columns if c and matching.mapping_for(c) is None])
                if near is not None:
                    # the column the mistyped --map meant: not a second problem
                    unknown.pop(near, None)
                hint = f"; did you mean {near!r}?" if near is not None else ""
                problems.append(
                    f"--map {column + '=' + target!r}: {self.path} has no column {column!r}{hint} "
                    f"(its columns: {listed_columns})"
                )
        for target, indexes in by_target.items():
            if len(indexes) < 2:
                continue
            names = [columns[i] for i in indexes]
            if len(set(names)) < len(names):
                problems.append(
                    f"{len(names)} columns are named {_quoted_list(sorted(set(names)))} "
                    f"(columns {_and_list([str(i + 1) for i in indexes])}) and all fill "
                    f"{_what(target)}; rename or delete the extra ones in the file"
                )
            else:
                problems.append(
                    f"columns {_quoted_list(names)} {'both' if len(names) == 2 else 'all'} "
                    f"fill {_what(target)}. Keep one: leave the "
                    f"{'other' if len(names) == 2 else 'others'} out with "
                    + " ".join(f'--map "{n}="' for n in names[1:])
                )
        if unknown and self._extra == "error":
            problems.append(matching.unknown_message(list(unknown), "column"))
        if not by_target and not problems:
            problems.append(
                f"none of the columns of {self.path} ({listed_columns}) is a field or the id; "
                f"map them with --map \"COLUMN=field\" (fields: {', '.join(matching.fields)})"
            )

        self._id_index = by_target[ID][0] if ID in by_target else None
        self._unnamed = [i for i, name in enumerate(columns) if not name]
        plan: list[_PlanEntry] = []
        for target, indexes in by_target.items():
            if target != ID:
                spec = matching.fields[target]
                parse = clean_parser(spec.type, tuple(spec.choices))
                plan.append((indexes[0], target, parse, spec.type == "text"))
        plan.sort(key=lambda entry: entry[0])
        self._plan = plan
        return problems

    def _csv_rows(self) -> Iterator[Row | BadRow]:
        line_problems: list[str] = []  # found in the lines of the current record

        def checked(lines: Iterator[str]) -> Iterator[str]:
            for line in lines:
                if line.isascii() and "\x00" not in line:
                    yield line
                    continue
                problem = _line_problem(line)
                if problem is not None:
                    line_problems.append(problem)
                    line = line.replace("\x00", "")  # the row is bad; keep csv reading
                yield line

        ncols = len(self._columns)
        plan, nulls, id_index = self._plan, self._nulls, self._id_index
        unnamed = self._unnamed if self._extra == "error" else []
        header_line = self._header_line
        with self._reading() as text:
            reader = csv.reader(checked(text), self._dialect)
            before = 0
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    line_problems.clear()
                    start, before = before + 1, reader.line_num
                    yield BadRow(
                        start, f"cannot be read as CSV ({e}); check for a quote that is not closed"
                    )
                    continue
                start, before = before + 1, reader.line_num
                if start <= header_line:
                    line_problems.clear()
                    continue
                if line_problems:
                    reason = line_problems[0]
                    line_problems.clear()
                    yield BadRow(start, reason)
                    continue

                n = len(record)
                if n > ncols and any(cell.strip() for cell in record[ncols:]):
                    yield BadRow(start, f"has {n} cells but the header has {ncols}")
                    continue
                if n < ncols:
                    record += [""] * (ncols - n)  # missing cells are null
                fields: dict[str, Any] = {}
                blank: list[str] | None = None
                bad: list[str] | None = None
                for index, name, parse, as_written in plan:
                    cell = record[index]
                    stripped = cell.strip()
                    if not stripped or stripped in nulls:
                        if blank is None:
                            blank = []
                        blank.append(name)
                        continue
                    try:
                        fields[name] = parse(cell if as_written else stripped)
                    except BadValue as e:
                        if bad is None:
                            bad = []
                        bad.append(f"field {name!r}: {e.reason}")
                if bad is not None:
                    yield BadRow(start, "; ".join(bad))
                    continue
                lead_id = None
                if id_index is not None:
                    lead_id = record[id_index].strip()
                    if not lead_id or lead_id in nulls:
                        lead_id = None
                    elif (problem := _id_problem(lead_id)) is not None:
                        yield BadRow(start, problem)
                        continue
                if unnamed:
                    filled = [i + 1 for i in unnamed if record[i].strip()]
                    if filled:
                        yield BadRow(
                            start,
                            f"has a value in column {filled[0]}, which has no name in the "
                            "header (name the column in the header, or pass --extra ignore)",
                        )
                        continue
                if not fields and lead_id is None and not any(c.strip() for c in record):
                    continue  # a blank record, like a line of only commas
                yield Row(start, lead_id, fields, frozenset(blank) if blank else frozenset())

    # --- JSON lines ------------------------------------------------------------

    def _sample_problems(self, sample: str) -> list[str]:
        """Refuse the whole file when its first lines show it cannot work: one
        object pretty-printed over many lines, or (with extra='error') keys
        that match no field, which a CSV header would have shown."""
        lines = sample.split("\n")
        first = next((ln.strip() for ln in lines if ln.strip()), "")
        if first == "{":
            return [
                f"{self.path} is one JSON object spread over several lines, "
                f"not JSON lines ({ONE_OBJECT_A_LINE})"
            ]
        if self._extra != "error":
            return []
        unknown: dict[str, None] = {}
        for line in lines:
            if not line.strip() or _line_problem(line) is not None:
                continue
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                for key in obj:
                    if self._matching.target(key) == (None, False):
                        unknown[key] = None
        return [self._matching.unknown_message(list(unknown), "key")] if unknown else []

    def _json_rows(self) -> Iterator[Row | BadRow]:
        matching, nulls = self._matching, self._nulls
        extra_error = self._extra == "error"
        known: dict[str, _KeyEntry] = {}  # key -> (target, parser, understood)
        # Two keys can fill one field ("Email" and "email") only once two
        # different keys have been seen for it; until then skip that check.
        key_of_target: dict[str, str] = {}
        ambiguous = False

        def resolve(key: str) -> _KeyEntry:
            nonlocal ambiguous
            target, understood = matching.target(key)
            parse = None
            if target is not None:
                if key_of_target.setdefault(target, key) != key:
                    ambiguous = True
                if target != ID:
                    spec = matching.fields[target]
                    parse = json_parser(spec.type, tuple(spec.choices))
            entry = (target, parse, understood)
            if len(known) < 10_000:  # ever new keys must not grow memory
                known[key] = entry
            return entry

        with self._reading() as text:
            number = 0
            for line in text:
                number += 1
                if not line.isascii() or "\x00" in line:
                    problem = _line_problem(line)
                    if problem is not None:
                        yield BadRow(number, problem)
                        continue
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except ValueError:
                    yield BadRow(number, f"is not valid JSON ({ONE_OBJECT_A_LINE})")
                    continue
                if not isinstance(obj, dict):
                    yield BadRow(number, f"is not a JSON object ({ONE_OBJECT_A_LINE})")
                    continue

                fields: dict[str, Any] = {}
                blank: list[str] | None = None
                lead_id: str | None = None
                unknown: list[str] = []
                problems: list[str] = []
                bad: str | None = None
                for key, value in obj.items():
                    entry = known.get(key) or resolve(key)
                    target, parse, understood = entry
                    if target is None:
                        if not understood:
                            unknown.append(key)
                        continue
                    empty = value is None or (
                        isinstance(value, str) and (not value.strip() or value.strip() in nulls)
                    )
                    if empty:
                        if parse is not None:
                            if blank is None:
                                blank = []
                            blank.append(target)
                        continue
                    if parse is None:  # the id
                        lead_id, id_bad = _json_id(value)
                        if id_bad is not None:
                            problems.append(id_bad)
                        continue
                    try:
                        fields[target] = parse(value)
                    except BadValue as e:
                        problems.append(f"field {target!r}: {e.reason}")
                if problems:
                    bad = "; ".join(problems)
                if bad is None and ambiguous:
                    bad = _clashing_keys(obj, lambda k: known.get(k) or resolve(k))
                if bad is None and unknown and extra_error:
                    bad = matching.unknown_message(unknown, "key")
                if bad is not None:
                    yield BadRow(number, bad)
                    continue
                yield Row(number, lead_id, fields, frozenset(blank) if blank else frozenset())


def _clashing_keys(obj: dict[str, Any], entry_of: Callable[[str], _KeyEntry]) -> str | None:
    """The reason when two keys of one object fill the same field, or None."""
    seen: dict[str, str] = {}
    for key in obj:
        target = entry_of(key)[0]
        if target is None:
            continue
        if target in seen:
            return f"keys {seen[target]!r} and {key!r} both fill {_what(target)}; keep one"
        seen[target] = key
    return None


def _id_with_line_break(lead_id: str) -> str:
    return f"the id {lead_id!r} has a line break (an id is a single line)"


def _id_problem(lead_id: str) -> str | None:
    """Why a (stripped) id from the file cannot be a lead id, or None."""
    if "\n" in lead_id or "\r" in lead_id:
        return _id_with_line_break(lead_id)
    problem = lead_id_problem(lead_id)
    return None if problem is None else f"the id {problem}"


def _json_id(value: Any) -> tuple[str | None, str | None]:
    """(the lead id or None, the reason it is bad or None)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        shown = json.dumps(value, ensure_ascii=False)
        return None, f"the id {shown} is not text or a whole number"
    lead_id = value.strip() if isinstance(value, str) else str(value)
    if "\x00" in lead_id:
        return None, HAS_NUL
    if "\n" in lead_id or "\r" in lead_id:
        return None, _id_with_line_break(lead_id)
    if _line_problem(lead_id) is not None:
        return None, BAD_UTF8
    if lead_id and (problem := _id_problem(lead_id)) is not None:
        return None, problem
    return lead_id or None, None
