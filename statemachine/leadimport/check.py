"""Judging a CRM export's records: every cell checked, as a `Row` or a `BadRow`.

`LeadFile` checks the options (`--map`, `--null`, `--extra`) and what the
file's first lines show when it is opened, raising `ImportRefused` for a
problem with the whole file, then streams one `Row` or `BadRow` per record
that `read.ExportFile` reads, in file order, without reading the file into
memory. It writes nothing: the caller decides what to import.

Which field each column or key fills is `columns`' to say; a JSON object
is judged by `objects`, as a lead posted through an intake is. A value is
null when it is blank or equals one of the `--null` tokens (the whole value,
after stripping spaces). JSON lines have no header: the keys of the first 64 KiB
are checked when the file is opened, later keys row by row (an unknown one
makes a bad row), and a `--map` key that the file never uses is not an error.

CSV records whose cells are all blank (a line of only commas) are skipped;
so are blank cells beyond the header and blank header names with blank
cells, which spreadsheets leave behind.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ImportRefused
from ..limits import SURELY_FITS, oversize
from ..values import BadValue
from .columns import FieldSpec, Matching, plan_columns
from .objects import ObjectJudge
from .objects import id_problem as _id_problem
from .read import BadRow, ExportFile

EXTRA_CHOICES = ("error", "ignore")


@dataclass(frozen=True)
class Row:
    line: int  # where the record starts; for CSV the header is line 1
    id: str | None  # from a column named or mapped to "id"; None: generate one
    fields: dict[str, Any]  # parsed values, only the fields that are not null
    # fields the record gives but leaves empty: null, not the field's default
    blank: frozenset[str] = field(default=frozenset(), compare=False)


class LeadFile:
    """A CRM export to import, judged: CSV (any common dialect) or JSON lines.

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
        self._matching = Matching(fields, mapping)
        self._nulls = frozenset(n.strip() for n in nulls)
        self._extra = extra

        problems = self._matching.option_problems()
        if extra not in EXTRA_CHOICES:
            problems.append(f"--extra must be error or ignore, not {extra!r}")
        self._file = file = ExportFile(path)
        self.path, self.format = file.path, file.format
        problems += file.problems
        if self.format == "csv":
            self._plan = plan_columns(self._matching, self.path, file.columns, extra)
            problems += self._plan.problems
        elif not file.problems and extra == "error":
            problems += self._unknown_sample_keys()
        if problems:
            raise ImportRefused("; ".join(problems))  # one line, as every error

    @property
    def size(self) -> int:
        """The file's size in bytes."""
        return self._file.size

    @property
    def bytes_read(self) -> int:
        """How far the current (or last) iteration has read, in bytes."""
        return self._file.bytes_read

    def follow(self, bytes_read: int) -> None:
        """How far another process iterating this file has read it (`lead
        import` reads in a child process), so that `bytes_read` here says."""
        self._file.follow(bytes_read)

    def __iter__(self) -> Iterator[Row | BadRow]:
        if self.format == "csv":
            return self._csv_rows()
        return self._json_rows()

    # --- CSV -------------------------------------------------------------------

    def _csv_rows(self) -> Iterator[Row | BadRow]:
        ncols = len(self._file.columns)
        plan, nulls, id_index = self._plan.cells, self._nulls, self._plan.id_index
        unnamed = self._plan.unnamed if self._extra == "error" else []
        for record in self._file.csv_records():
            if isinstance(record, BadRow):
                yield record
                continue
            start, cells = record
            n = len(cells)
            if n > ncols and any(cell.strip() for cell in cells[ncols:]):
                yield BadRow(start, f"has {n} cells but the header has {ncols}")
                continue
            if n < ncols:
                cells += [""] * (ncols - n)  # missing cells are null
            fields: dict[str, Any] = {}
            blank: list[str] | None = None
            bad: list[str] | None = None
            for index, name, parse, as_written in plan:
                cell = cells[index]
                stripped = cell.strip()
                if not stripped or stripped in nulls:
                    if blank is None:
                        blank = []
                    blank.append(name)
                    continue
                try:
                    if len(cell) > SURELY_FITS and (why := oversize(cell)):
                        raise BadValue(why)
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
                lead_id = cells[id_index].strip()
                if not lead_id or lead_id in nulls:
                    lead_id = None
                elif (problem := _id_problem(lead_id)) is not None:
                    yield BadRow(start, problem)
                    continue
            if unnamed:
                filled = [i + 1 for i in unnamed if cells[i].strip()]
                if filled:
                    yield BadRow(
                        start,
                        f"has a value in column {filled[0]}, which has no name in the "
                        "header (name the column in the header, or pass --extra ignore)",
                    )
                    continue
            if not fields and lead_id is None and not any(c.strip() for c in cells):
                continue  # a blank record, like a line of only commas
            yield Row(start, lead_id, fields, frozenset(blank) if blank else frozenset())

    # --- JSON lines ------------------------------------------------------------

    def _unknown_sample_keys(self) -> list[str]:
        """Keys on the first lines that match no field, which a CSV header
        would have shown: they refuse the whole file."""
        unknown: dict[str, None] = {}
        for obj in self._file.sample_objects():
            for key in obj:
                if self._matching.target(key) == (None, False):
                    unknown[key] = None
        return [self._matching.unknown_message(list(unknown), "key")] if unknown else []

    def _json_rows(self) -> Iterator[Row | BadRow]:
        judge = ObjectJudge(self._matching, self._nulls, self._extra,
                            lambda keys: self._matching.unknown_message(keys, "key"))
        for record in self._file.json_objects():
            if isinstance(record, BadRow):
                yield record
                continue
            number, obj = record
            lead_id, fields, blank, bad = judge.judge(obj)
            if bad is not None:
                yield BadRow(number, bad)
                continue
            yield Row(number, lead_id, fields, frozenset(blank) if blank else frozenset())
