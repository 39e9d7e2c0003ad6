"""`baton lead import`: a CRM export read, checked and written as new leads.

Data flows one way through the package:

- `check`: the file opened and read (CSV in any common dialect, or JSON
  lines), the options (`--map`, `--null`, `--extra`) and the columns checked,
  each record judged into a `Row` or a `BadRow` with its line (`LeadFile`);
- `write`: the rows in batches, each lead made as `lead add` makes one, all
  in one transaction (`import_leads`);
- `reader`: on Linux, the reading and checking (and the sealing of personal
  values) run in a forked child process while `write` writes.
"""

from ..errors import ImportRefused
from .check import BadRow, FieldSpec, LeadFile, Row, parse_map
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
