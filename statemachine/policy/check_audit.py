"""`audit: {witness: daily}`: the log's head sent out once a day.

A head kept only inside the database proves nothing to someone who can
rewrite the database; `baton serve` sends it through the policy's notify
channels, so it lives outside too. Without a channel it could go nowhere,
so the witness needs `notify:`.
"""

from __future__ import annotations

from .check_core import CheckerCore, shown
from .load import Node

AUDIT_KEYS = ("witness",)
WITNESSES = ("daily",)


class AuditChecks(CheckerCore):
    def _audit(self, node: Node | None, notify: Node | None) -> str | None:
        """The witness's rhythm, or None for no witness."""
        entries = self.mapping(node, "audit")
        if node is None or not entries:
            return None
        self.keys(node, AUDIT_KEYS, "audit")
        value = entries.get("witness")
        if value is None or value.value is None:
            return None
        if value.value not in WITNESSES:
            self.err(value, f"witness must be daily (the log's head sent once a day), not {shown(value)}; "
                            "leave it out for no witness")
            return None
        if notify is None or not notify.value:
            self.err(value, "witness: daily sends the log's head through the notify channels, but the policy "
                            "names none; add notify: with a webhook, email or file")
        return str(value.value)
