"""The notify channels, checked: webhook, email and file.

A webhook is an http(s) address; email names its SMTP server as host:port,
the sender, and the address of each person told (who must be in a role); a
file is a path, or "-" for the screen. The channels are kept as written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from ..values import BadValue, parse_json
from .check_core import CheckerCore, listing, shown, suggest
from .load import Node


class NotifyChecks(CheckerCore):
    def _notify(self, node: Node | None, roles: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:
        """The channels notifications leave by: webhook, email, file."""
        if node is None or node.value is None:
            return None
        if not node.is_map:
            self.err(node, "notify must be a set of channels (webhook, email, file)")
            return None
        if not node.value:
            self.err(node, "notify names no channel; add webhook:, email: or file:, or remove notify:")
            return None
        self.keys(node, ("webhook", "email", "file"), "notify")
        entries = node.value
        if "webhook" in entries:
            self._webhook(entries["webhook"])
        if "email" in entries:
            self._email(entries["email"], roles)
        if "file" in entries:
            path = entries["file"]
            if not isinstance(path.value, str) or not path.value.strip():
                self.err(path, f"notify file must be a path like notices.jsonl, or \"-\" for the screen, not {shown(path)}")
        channels: dict[str, Any] = _plain(node)
        return channels

    def _webhook(self, node: Node) -> None:
        from urllib.parse import urlsplit

        url = node.value if isinstance(node.value, str) else ""
        example = "like https://hooks.example.com/baton"
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 -- reading it checks the port is a number
        except ValueError:
            self.err(node, f"webhook {shown(node)} has a bad port; write the address {example}")
            return
        if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", url):
            self.err(node, f"webhook must be an http:// or https:// address {example}, not {shown(node)}")

    def _email(self, node: Node, roles: dict[str, tuple[str, ...]]) -> None:
        if node.value is None or (node.is_map and not node.value):
            self.err(node, "notify email needs server, from and to, like server: localhost:25")
            return
        entries = self.mapping(node, "notify email")
        if not entries:
            return
        self.keys(node, ("server", "from", "to"), "notify email")
        server = entries.get("server")
        if server is None:
            self.err(node, "notify email needs `server:`, the SMTP server as host:port, like localhost:25")
        elif _host_port(server.value) is None:
            self.err(server, f"email server must be host:port, like localhost:25 or smtp.example.com:587, not {shown(server)}")
        sender = entries.get("from")
        if sender is None:
            self.err(node, "notify email needs `from:`, the address the emails come from, like baton@example.com")
        else:
            self._address(sender, "email from")
        self._addresses(node, entries.get("to"), roles)

    def _addresses(self, email: Node, node: Node | None, roles: dict[str, tuple[str, ...]]) -> None:
        if node is None:
            self.err(email, "notify email needs `to:`, each person's address, like to: {sam: sam@example.com}")
            return
        if node.value is None or (node.is_map and not node.value):
            self.err(node, "email to needs at least one person's address, like to: {sam: sam@example.com}")
        entries = self.mapping(node, "email to")
        actors = [actor for members in roles.values() for actor in members]
        for actor, address in entries.items():
            if actor not in actors and not self.roles_unreadable:
                hint = f"; '{actor}' is a role: list its people, like {roles[actor][0]}: ..." if roles.get(actor) else suggest(actor, actors)
                self.err(self.key(node, actor), f"email to '{actor}', who is in no role (people: {listing(actors)}){hint}")
            self._address(address, f"email to {actor}")

    def _address(self, node: Node, what: str) -> None:
        if not isinstance(node.value, str):
            self.err(node, f"{what} must be an email address like sam@example.com, not {shown(node)}")
            return
        try:
            parse_json("email", node.value)
        except BadValue as error:
            self.err(node, f"{what}: {error.reason}")


def _host_port(value: Any) -> tuple[str, int] | None:
    """'smtp.example.com:587' -> ('smtp.example.com', 587); '[::1]:25' too."""
    if not isinstance(value, str):
        return None
    host, colon, port = value.strip().rpartition(":")
    host = host.removeprefix("[").removesuffix("]")
    if not colon or not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _plain(node: Node) -> Any:
    if node.is_map:
        return {k: _plain(v) for k, v in node.value.items()}
    if node.is_list:
        return [_plain(v) for v in node.value]
    if isinstance(node.value, (dt.date, dt.datetime)):
        return node.value.isoformat()
    return node.value
