"""The policy's `clock:` entry: whether a change may say its own time.

`clock: {now_on_writes: refuse}` makes every command that changes the
database refuse `--now` (and BATON_NOW), so each event carries the time it
was really written; reading commands may still look at another moment.
"""

from __future__ import annotations

from .check_core import CheckerCore, shown
from .load import Node

CLOCK_KEYS = ("now_on_writes",)
NOW_ON_WRITES = ("allow", "refuse")


class ClockChecks(CheckerCore):
    def _clock(self, node: Node | None) -> str:
        entries = self.mapping(node, "clock")
        if node is None or not entries:
            return "allow"
        self.keys(node, CLOCK_KEYS, "clock")
        value = entries.get("now_on_writes")
        if value is None or value.value is None:
            return "allow"
        if value.value not in NOW_ON_WRITES:
            self.err(value, f"now_on_writes must be allow or refuse, not {shown(value)}")
            return "allow"
        return str(value.value)
