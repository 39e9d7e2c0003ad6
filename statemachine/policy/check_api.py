"""The HTTP API's part of a policy: who manages its tokens (`api:`) and the
intake mappings (`intake:`) that let a web form or another tool post leads
with its own names for the fields.

`api: {admins: [ROLE, ...]}` names the roles that may create and revoke
tokens; without it, `sales_manager`.

`intake: {NAME: {map: {THEIR_KEY: FIELD}, null: [TOKEN, ...], extra:
ignore|error, id: THEIR_KEY}}`: each posted key fills the field `map` names
for it (a key left empty is left out), else the field of the same name;
`id` names the key that gives the lead id; a value equal to a `null` token
is no value; keys that fill nothing are ignored unless `extra: error`.
"""

from __future__ import annotations

from .check_core import CheckerCore, listing, shown, suggest
from .check_lifecycle import IDENTIFIER
from .load import Node
from .model import DEFAULT_API_ADMINS, Field, Intake

API_KEYS = ("admins",)
INTAKE_KEYS = ("map", "null", "extra", "id")
EXTRA = ("ignore", "error")
# what a `map` entry may fill besides the fields: the lead id
LEAD_ID = "id"


class ApiChecks(CheckerCore):
    def _api(self, node: Node | None, roles: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        """The roles that may create and revoke API tokens."""
        entries = self.mapping(node, "api")
        if node is None or not entries:
            return DEFAULT_API_ADMINS
        self.keys(node, API_KEYS, "api")
        if "admins" not in entries:
            return DEFAULT_API_ADMINS
        admins = self.names(entries["admins"], "api: admins")
        if not admins:
            self.err(entries["admins"], "api: admins needs the roles who may create and revoke API tokens, "
                                        "like `api: {admins: [sales_manager]}`; leave api out for sales_manager")
        for role, item in admins:
            if self.unknown_role(role, roles):
                self.err(item, f"api admins name unknown role '{role}' (roles: {listing(roles)}){suggest(role, roles)}")
        return tuple(dict.fromkeys(role for role, _ in admins)) or DEFAULT_API_ADMINS

    def _intake(self, node: Node | None, fields: dict[str, Field]) -> dict[str, Intake]:
        out: dict[str, Intake] = {}
        if node is None:
            return out
        for name, spec_node in self.mapping(node, "intake").items():
            if not IDENTIFIER.match(name):
                self.err(self.key(node, name), f"intake name '{name}' must be a plain name (letters, digits and _, "
                                               "not starting with a digit), like web_form; it is part of the address "
                                               "tools post to")
            intake = self._one_intake(name, spec_node, fields)
            if intake is not None:
                out[name] = intake
        return out

    def _one_intake(self, name: str, node: Node, fields: dict[str, Field]) -> Intake | None:
        what = f"intake '{name}'"
        if node.value is None:
            return Intake(name, {})  # `web_form:` alone: keys fill fields of their name, others are left out
        if not node.is_map:
            self.err(node, f"{what} must be a set of entries like `map: {{their_name: field}}`")
            return None
        entries: dict[str, Node] = node.value
        self.keys(node, INTAKE_KEYS, what)
        targets = (*fields, LEAD_ID)
        mapping: dict[str, str] = {}
        filled: dict[str, str] = {}  # field -> the key that fills it

        def fills(key: str, target: str, where: Node | tuple[int, int]) -> None:
            if target in filled:
                self.err(where, f"{what}: '{filled[target]}' and '{key}' both fill "
                                f"{'the lead id' if target == LEAD_ID else f'field {target!r}'}; keep one")
            filled[target] = key

        map_node = entries.get("map")
        for key, target_node in self.mapping(map_node, f"{what}: map").items():
            if target_node.value is None or target_node.value == "":
                mapping[key] = ""  # left out, as `--map "KEY="` leaves a column out
                continue
            target = self.text(target_node, f"{what}: map: {key}")
            if target is None:
                continue
            if target in self.broken_fields:
                continue  # its own definition is wrong, reported already
            if target not in targets:
                self.err(target_node, f"{what} maps '{key}' to '{target}', which is not a field{suggest(target, targets)} "
                                      f"(fields: {listing(fields)}; or id for the lead id)")
                continue
            mapping[key] = target
            fills(key, target, target_node)
        id_key = self.text(entries.get("id"), f"{what}: id")
        if id_key is not None:
            id_node = entries["id"]
            if mapping.get(id_key):
                if mapping[id_key] != LEAD_ID:
                    self.err(id_node, f"{what}: id is '{id_key}', but map sends '{id_key}' to field "
                                      f"'{mapping[id_key]}'; a posted key fills one thing, so keep one")
            else:
                mapping[id_key] = LEAD_ID
                fills(id_key, LEAD_ID, id_node)
        nulls = []
        for token, item in self.names(entries.get("null"), f"{what}: null"):
            if not token.strip():
                self.err(item, f"{what}: null token {shown(item)} is blank; blank values are no value already")
            nulls.append(token.strip())
        extra = self.text(entries.get("extra"), f"{what}: extra") or "ignore"
        if extra not in EXTRA:
            self.err(entries["extra"], f"{what}: extra must be ignore (keys that fill no field are left out) or "
                                       f"error (they refuse the lead), not {shown(entries['extra'])}")
            extra = "ignore"
        return Intake(name, mapping, tuple(dict.fromkeys(nulls)), extra, id_key)
