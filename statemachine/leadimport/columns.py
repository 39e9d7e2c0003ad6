"""Which field, or the lead id, each column (CSV) or key (JSON lines) of a
CRM export fills: `--map`, names, and the refusals when that is not clear.

Columns and keys are matched in this order: a `--map "COLUMN=field"` entry
(the column by exact name, else case-insensitively; an empty field, `--map
"COLUMN="`, leaves the column out), then a field of the same name (exact,
else case-insensitive), then `id`, which gives the lead id. What is left
follows `--extra`: `error` refuses the file naming every such column,
`ignore` leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from ..errors import BadMapOption, closest
from ..values import clean_parser

ID = "id"


@dataclass(frozen=True)
class FieldSpec:
    type: str
    choices: tuple[str, ...] = ()


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


def and_list(items: Sequence[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def quoted_list(names: Sequence[str]) -> str:
    return and_list([repr(n) for n in names])


def what(target: str) -> str:
    return "the lead id" if target == ID else f"field {target!r}"


Target = tuple[str | None, bool]  # (field, "id" or None to leave out; understood)


class Matching:
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

    def target(self, name: str) -> Target:
        key = self.mapping_for(name)
        if key is not None:
            target = self.mapping[key]
            return (self.field_named(target) if target else None), True
        field = self.field_named(name)
        return field, field is not None

    def unknown_message(self, names: Sequence[str], kind: str) -> str:
        listed = quoted_list(names)
        fields = ", ".join(self.fields)
        if len(names) == 1:
            near = closest(names[0], list(self.fields))
            example = f'--map "{names[0]}={near}"' if near else f'--map "{kind.upper()}=field"'
            return (
                f"a {kind} that matches no field: {listed}. Map it to a field with "
                f"{example} (fields: {fields}), or pass --extra ignore to leave it out"
            )
        return (
            f"{kind}s that match no field: {listed}. Map each one to a field with "
            f'--map "{kind.upper()}=field" (fields: {fields}), or pass --extra ignore '
            "to leave them out"
        )


PlanEntry = tuple[int, str, Callable[[str], Any], bool]  # (column, field, parser, text kept as written)


class ColumnPlan(NamedTuple):
    """What each column of a CSV file fills, and why the file is refused."""

    cells: list[PlanEntry]  # in column order, one a field
    id_index: int | None  # the column that gives the lead id
    unnamed: list[int]  # columns with no name in the header: their cells must be blank
    problems: list[str]


def plan_columns(matching: Matching, path: str, columns: Sequence[str], extra: str) -> ColumnPlan:
    """Decide what each column fills; the problems that refuse the file."""
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
                f"--map {column + '=' + target!r}: {path} has no column {column!r}{hint} "
                f"(its columns: {listed_columns})"
            )
    for target, indexes in by_target.items():
        if len(indexes) < 2:
            continue
        names = [columns[i] for i in indexes]
        if len(set(names)) < len(names):
            problems.append(
                f"{len(names)} columns are named {quoted_list(sorted(set(names)))} "
                f"(columns {and_list([str(i + 1) for i in indexes])}) and all fill "
                f"{what(target)}; rename or delete the extra ones in the file"
            )
        else:
            problems.append(
                f"columns {quoted_list(names)} {'both' if len(names) == 2 else 'all'} "
                f"fill {what(target)}. Keep one: leave the "
                f"{'other' if len(names) == 2 else 'others'} out with "
                + " ".join(f'--map "{n}="' for n in names[1:])
            )
    if unknown and extra == "error":
        problems.append(matching.unknown_message(list(unknown), "column"))
    if not by_target and not problems:
        problems.append(
            f"none of the columns of {path} ({listed_columns}) is a field or the id; "
            f"map them with --map \"COLUMN=field\" (fields: {', '.join(matching.fields)})"
        )

    cells: list[PlanEntry] = []
    for target, indexes in by_target.items():
        if target != ID:
            spec = matching.fields[target]
            parse = clean_parser(spec.type, tuple(spec.choices))
            cells.append((indexes[0], target, parse, spec.type == "text"))
    cells.sort(key=lambda entry: entry[0])
    id_index = by_target[ID][0] if ID in by_target else None
    return ColumnPlan(cells, id_index, [i for i, name in enumerate(columns) if not name], problems)


def clashing_keys(obj: Mapping[str, Any], target_of: Callable[[str], str | None]) -> str | None:
    """The reason when two keys of one JSON object fill the same field, or None."""
    seen: dict[str, str] = {}
    for key in obj:
        target = target_of(key)
        if target is None:
            continue
        if target in seen:
            return f"keys {seen[target]!r} and {key!r} both fill {what(target)}; keep one"
        seen[target] = key
    return None
