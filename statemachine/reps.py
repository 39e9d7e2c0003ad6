"""Rep availability: who is away, until when, and how loaded each rep is.

Routing skips a rep who is away. Marking a rep away or back is a change like
any other, so it is an event in the log (with no lead), and only a real
change is logged: `rep back` for a rep who is not away is refused (it would
record a return that never happened), and `rep away` until the time already
set writes nothing.
"""

from __future__ import annotations

from typing import Any

from .errors import BadArgument, NotAllowedHere, RepNotAway
from .events import REP_AWAY, REP_BACK
from .times import for_people, iso, parse_time
from .workspace import Workspace

MANAGER_ROLE = "sales_manager"


def reps(ws: Workspace) -> list[str]:
    """The reps routing can pick, in policy order (everyone in a role if no routing)."""
    names: list[str] = []
    if ws.policy.routing is not None:
        pool = [rep for rule in ws.policy.routing.rules for rep in rule.assign]
    else:
        pool = [actor for members in ws.policy.roles.values() for actor in members]
    for name in pool:
        if name not in names:
            names.append(name)
    return names


def _check(ws: Workspace, rep: str) -> None:
    known = reps(ws)
    if rep not in known:
        raise BadArgument(f"'{rep}' is not a rep in the policy (reps: {', '.join(known)})")
    if ws.actor != rep and ws.actor not in ws.policy.actors_of(MANAGER_ROLE):
        managers = ", ".join(ws.policy.actors_of(MANAGER_ROLE)) or "nobody"
        raise NotAllowedHere(f"{ws.actor} may not change {rep}'s availability: only {rep} or a {MANAGER_ROLE} ({managers}) may")


def set_away(ws: Workspace, rep: str, until: str | None) -> tuple[dict[str, Any], bool]:
    """Mark `rep` away; the bool says whether anything changed (away until that
    same time already: nothing is written, as `lead set` with the values a lead has)."""
    _check(ws, rep)
    back_at = iso(parse_time(until, ws.policy.timezone, "--until")) if until else None
    if back_at is not None and back_at <= ws.at:
        raise BadArgument(f"--until {until} is already past; give a time after now "
                          f"({for_people(ws.at, ws.policy.timezone)})")
    with ws.store.transaction():
        changed = _away_until(ws, rep) != (True, back_at)
        if changed:
            ws.store.set_away(rep, True, back_at)
            ws.store.append(None, ws.at, ws.actor, REP_AWAY, None, None, {"rep": rep, "until": back_at},
                            ws.policy.version)
    return {"rep": rep, "away": True, "until": back_at}, changed


def set_back(ws: Workspace, rep: str) -> dict[str, Any]:
    _check(ws, rep)
    with ws.store.transaction():
        away, until = _away_until(ws, rep)
        if not away:
            raise RepNotAway(rep, for_people(until, ws.policy.timezone) if until else None)
        ws.store.set_away(rep, False, None)
        ws.store.append(None, ws.at, ws.actor, REP_BACK, None, None, {"rep": rep}, ws.policy.version)
    return {"rep": rep, "away": False, "until": None}


def _away_until(ws: Workspace, rep: str) -> tuple[bool, str | None]:
    """(whether `rep` is away now, until when). A rep whose time away has run
    out is not away: (False, the time it ended)."""
    away = ws.store.reps_away()
    if rep not in away:
        return False, None
    until = away[rep]
    return (until is None or until > ws.at), until


def listing(ws: Workspace) -> list[dict[str, Any]]:
    names = tuple(reps(ws))
    counts = ws.store.open_lead_counts(names)
    away = ws.store.reps_away()
    rows = []
    for name in names:
        until = away.get(name)
        is_away = name in away and (until is None or until > ws.at)
        rows.append({"rep": name, "open_leads": counts[name], "away": is_away, "until": until if is_away else None})
    return rows
