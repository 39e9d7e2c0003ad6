"""What a notification says to a person: the email made of an outbox row,
and a lead's fields as a rep reads them (`Budget: 25000`)."""

from __future__ import annotations

import math
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Any

from .events import ASSIGNED, SLA_BREACH

if TYPE_CHECKING:
    from .notify import Notification


def email_message(note: Notification, sender: str, address: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = address
    message["Subject"] = (
        f"Lead {note.lead} missed its {note.sla} deadline" if note.kind == SLA_BREACH
        else f"Lead {note.lead} is assigned to {note.owner}" if note.kind == ASSIGNED
        else f"About lead {note.lead}" if note.lead is not None
        else "A new version of the policy waits for your approval" if note.kind == "approval"
        else "Baton's log head, for you to keep" if note.kind == "witness"
        else note.text
    )
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message["X-Baton-Notification"] = str(note.id)
    details = [("Lead", note.lead), ("Deadline", note.sla), ("Due", note.due),
               ("Owner", note.owner or "nobody" if note.lead is not None else None),
               ("Notified", ", ".join(note.recipients))]
    lines = [note.text, ""]
    if note.fields:
        lines += ["What we know about the lead:", *(f"  {line}" for line in field_lines(note.fields)), ""]
    lines += [f"{label}: {value}" for label, value in details if value]
    message.set_content("\n".join(lines) + f"\n\nSent by Baton (notification #{note.id}).\n")
    return message


def field_lines(fields: dict[str, Any]) -> list[str]:
    """An `assigned` notification's fields as a rep reads them: `Budget: 25000`."""
    return [f"{name.replace('_', ' ').capitalize()}: {_value_words(value)}" for name, value in fields.items()]


def _value_words(value: Any) -> str:
    """yes/no, 25000, 25000.5 (as `lead show` writes them)."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and math.isfinite(value):
        # repr is the shortest text that reads back as the same number; Decimal drops the ".0"
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)
