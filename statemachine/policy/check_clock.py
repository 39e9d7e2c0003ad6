"""What a change may claim about itself: its time (`clock:`) and who made it
(`identity:`, `logins:`).

`clock: {now_on_writes: refuse}` makes every command that changes the
database refuse `--now` (and BATON_NOW), so each event carries the time it
was really written; reading commands may still look at another moment.
`identity: login` takes the acting person from the login name (mapped
through `logins: {LOGIN: PERSON}`) and refuses `--as`.
"""

from __future__ import annotations

from .check_core import CheckerCore, shown, suggest
from .load import Node

CLOCK_KEYS = ("now_on_writes",)
NOW_ON_WRITES = ("allow", "refuse")
IDENTITIES = ("login",)


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

    def _identity(self, node: Node | None, logins: Node | None,
                  roles: dict[str, tuple[str, ...]]) -> tuple[str | None, dict[str, str]]:
        identity = None
        if node is not None and node.value is not None:
            if node.value in IDENTITIES:
                identity = str(node.value)
            else:
                self.err(node, f"identity must be login (the acting person is their login name), not {shown(node)}; "
                               "leave it out to name who is acting with --as")
        people = {person for members in roles.values() for person in members}
        mapped: dict[str, str] = {}
        for login, person_node in self.mapping(logins, "logins").items():
            person = self.text(person_node, f"logins: {login}")
            if person is None:
                continue
            if person not in people:
                self.err(person_node, f"login '{login}' is mapped to '{person}', who is in no role "
                                      f"(people: {', '.join(sorted(people)) or 'none'}){suggest(person, people)}")
            mapped[str(login)] = person
        if mapped and identity is None and logins is not None:
            self.err(logins, "logins maps login names to people, which only `identity: login` uses; "
                             "add `identity: login`, or remove logins")
        return identity, mapped

