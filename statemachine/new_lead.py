"""What a new lead is: the one rule for a `created` event and the row it starts.

`lead add` (`lifecycle.create`) and `lead import` (`leadimport.write`) both
make leads with `new_lead` and `LeadTemplate.row`, so the two cannot drift:

- a field the lead is not given takes its default, and one given empty is
  null even when it has a default;
- each personal value is sealed: the log holds a salted digest, the
  `personal` table the value;
- the `created` event's data is `{"fields": {...}}` with the values that are
  not null, personal ones as `{"personal": DIGEST}`;
- its row in `leads` (`LeadTemplate.columns`) is in the initial state, owned
  by nobody, with no attempts, every time the moment it was created.

`projection.apply` derives the same row from the event, as `audit replay`
does, and `audit verify` compares the two.

An import calls `new_lead` for every row of a file, so what does not change
from lead to lead is worked out once, in the template, and the event's data
is written as canonical JSON text key by key, in the order canonical JSON
sorts them, instead of built as a dict and encoded.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from typing import Any

from .chain import canonical
from .policy.model import Policy
from .projection import fresh_salts, personal_digest
from .store import BASE_COLUMNS

# A personal value sealed: (digest, field, salt, the value as canonical JSON),
# a `personal` row but for the lead id.
Sealed = tuple[str, str, str, str]
# (the `created` event's data as canonical JSON text, its personal values
# sealed, the lead's field values in `LeadTemplate.fields` order). A plain
# tuple: an import pickles one a row from its reader process.
NewLead = tuple[str, list[Sealed], tuple[Any, ...]]


class LeadTemplate:
    """What every new lead under one policy shares: the fields' defaults, which
    are personal, the key of each in the event's data, the row's columns."""

    __slots__ = ("columns", "defaults", "fields", "initial", "layout", "personal_fields")

    def __init__(self, policy: Policy):
        self.fields = tuple(policy.fields)
        self.columns = (*BASE_COLUMNS, *self.fields)
        self.initial = policy.initial
        self.defaults = {name: spec.default for name, spec in policy.fields.items() if spec.default is not None}
        # (field, its key in the data text with the colon, personal), sorted as canonical JSON sorts keys
        self.layout = [(name, f"{canonical(name)}:", policy.fields[name].personal) for name in sorted(self.fields)]
        self.personal_fields = sum(1 for spec in policy.fields.values() if spec.personal)

    def salts(self, leads: int = 1) -> Iterator[str]:
        """Enough salts for every personal value of `leads` new leads."""
        return iter(fresh_salts(leads * self.personal_fields))

    def row(self, lead: str, at: str, values: tuple[Any, ...]) -> tuple[Any, ...]:
        """The lead's row in `leads`, in `columns` order, from the field
        values `new_lead` gave it; `at` is when it was created."""
        return (lead, self.initial, None, 0, at, at, at, *values)


def new_lead(template: LeadTemplate, given: Mapping[str, Any], blank: Collection[str],
             salts: Iterator[str]) -> NewLead:
    """A new lead from the values it is `given` (none of them None) and the
    fields it gives empty (`blank`: null, not their default), its personal
    values sealed with `salts` (one each, from `template.salts`)."""
    values = given
    defaults = template.defaults
    if defaults and not defaults.keys() <= given.keys():
        kept = defaults if not blank else {k: v for k, v in defaults.items() if k not in blank}
        values = {**kept, **given}
    parts = []
    sealed = []
    for name, key, personal in template.layout:
        value = values.get(name)
        if value is None:
            continue
        if personal:
            text = canonical(value)
            salt = next(salts)
            digest = personal_digest(salt, text)
            sealed.append((digest, name, salt, text))
            parts.append(f'{key}{{"personal":"{digest}"}}')
        else:
            parts.append(key + canonical(value))
    return '{"fields":{' + ",".join(parts) + "}}", sealed, tuple(map(values.get, template.fields))
