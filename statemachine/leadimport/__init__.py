"""`baton lead import`: a CRM export read, checked and written as new leads.

Data flows one way through the package, read -> check -> write:

- `read`: the file opened (UTF-8, with or without a byte order mark), its
  format told (CSV in any common dialect, or JSON lines), the CSV dialect
  sniffed, and its records streamed with the line each starts on
  (`ExportFile`); a record that cannot be read is a `BadRow`;
- `check`: the options (`--map`, `--null`, `--extra`) and each record
  judged, every cell parsed and checked into a `Row`, or a `BadRow` saying
  why (`LeadFile`), with `columns` matching columns and keys to fields;
- `write`: the rows in batches, each lead made by `new_lead` as `lead add`
  makes one, all in one transaction (`import_leads`);
- `reader`: on Linux, reading, checking and sealing personal values run in
  a forked child process while `write` writes in this one.
"""

from ..errors import ImportRefused
from .check import LeadFile, Row
from .columns import FieldSpec, parse_map
from .read import BadRow
from .write import ImportResult, import_leads

__all__ = [
    "LeadFile",
    "FieldSpec",
    "parse_map",
    "Row",
    "BadRow",
    "ImportRefused",
    "import_leads",
    "ImportResult",
]
