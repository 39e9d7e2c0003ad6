"""`baton policy explain`: a trigger or a state of the policy in plain words,
for the heads who agree on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .app import App

if TYPE_CHECKING:
    from statemachine.policy.explain import Clock, Party, RouteRule, StateExplained, TriggerExplained


@click.command()
@click.argument("name", metavar="TRIGGER|STATE|SETTING")
@click.option("--file", "file", metavar="FILE", help="Explain this policy file (default: the policy in force).")
@click.pass_obj
def explain(app: App, name: str, file: str | None) -> None:
    """A trigger, state or setting, in plain words.

    For a trigger: who may fire it, from where to where, what must hold, the
    keys it needs, the SLA clocks it starts and stops, and whether routing
    runs. For a state: what leads into and out of it, its clocks, its
    routing, and how many leads sit there now. Settings: approvals, erasure,
    identity, logins, clock, audit, api, intake."""
    from statemachine.policy.explain import StateExplained, TriggerExplained
    from statemachine.policy.explain import explain as explain_name

    if file is not None:
        from statemachine.policy import read_policy_file

        _, policy = read_policy_file(file)
        found = explain_name(policy, name)
    else:
        import os
        import shlex

        from statemachine.errors import DatabaseProblem

        try:
            ws = app.workspace(write=False)
        except DatabaseProblem as error:
            if os.path.exists(app.db):
                raise
            # before `init`, a head reading the policy file is the likely case
            raise DatabaseProblem(f"{error}; to read a policy file without one, run `baton policy explain "
                                  f"{shlex.quote(name)} --file policies/default.yaml`") from None

        def count_leads(state: str) -> int:
            (count,) = ws.store.db.execute("SELECT count(*) FROM leads WHERE state = ?", (state,)).fetchone()
            return int(count)

        found = explain_name(ws.policy, name, count_leads)
    if app.as_json:
        app.emit_lines(x.as_json() for x in found)
        return
    blocks = [trigger_lines(x) if isinstance(x, TriggerExplained)
              else state_lines(x) if isinstance(x, StateExplained) else [f"{x.name}:", *(f"  {s}" for s in x.says)]
              for x in found]
    click.echo("\n\n".join("\n".join(lines) for lines in blocks))


# -- sentences ------------------------------------------------------------------
def trigger_lines(t: TriggerExplained) -> list[str]:
    final = ", a final state" if t.final else ""
    lines = [f"{t.name} moves a lead from {_and(list(t.sources), 'or')} to {t.dest}{final}."]
    if t.description:
        lines.append(t.description)
    lines.append(f"Who may fire it: {_who(t.by, 'or')}.")
    must = [g.say or f"needs {g.expr}" for g in t.guards]
    must += [f"the {c.name} checklist: {', '.join(label for label, _ in c.items)}" for c in t.checklists]
    if must:
        lines.append("What must hold:")
        lines += [f"  - {item}" for item in must]
    else:
        lines.append("What must hold: nothing more than who fires it.")
    lines.append(f"Keys: {_keys(t.requires, t.optional)}.")
    if t.starts:
        lines.append(f"Clocks it starts (on entering {t.dest}):")
        lines += [f"  - {_clock(c)}" for c in t.starts]
    else:
        lines.append(f"Clocks it starts: none (no SLA clock runs in {t.dest}).")
    if t.stops:
        lines.append(f"Clocks it stops: {', '.join(f'{c.name} ({c.state})' for c in t.stops)}.")
    else:
        lines.append(f"Clocks it stops: none (no SLA clock runs in {_and(list(t.sources), 'or')}).")
    lines += _routing(t.dest, t.routing, t.told)
    for c in t.fired_by:
        lines.append(f"Baton fires it itself when the {c.name} clock runs out ({_within(c)} in {c.state}), "
                     f"with reason \"{c.reason}\".")
    return lines


def state_lines(s: StateExplained) -> list[str]:
    lines = [f"State {s.name}: {s.description}." if s.description else f"State {s.name}."]
    if s.initial:
        lines.append("Every new lead starts here (the initial state).")
    if s.final:
        lines.append("A final state: nothing moves a lead out of it.")
    lines.append(f"Owner team: {_who((s.owner,), 'or') if s.owner else 'none'}.")
    for title, moves, into in ((f"Into {s.name}", s.into, True), (f"Out of {s.name}", s.out_of, False)):
        if not moves:
            lines.append(f"{title}: none.")
            continue
        lines.append(f"{title}:")
        for m in moves:
            where = f"from {_and(list(m.sources), 'or')}" if into else f"to {m.dest}"
            lines.append(f"  - {m.trigger} {where}, by {_who(m.by, 'or')}")
    if s.clocks:
        lines.append("SLA clocks:")
        lines += [f"  - {_clock(c)}" for c in s.clocks]
    else:
        lines.append("SLA clocks: none.")
    lines += _routing(s.name, s.routing, s.told)
    if s.leads is not None:
        lines.append(f"Leads here now: {s.leads}.")
    return lines


def _who(parties: tuple[Party, ...], word: str) -> str:
    from statemachine.machine import describe_who

    return describe_who([p.name for p in parties], {p.name: p.members for p in parties if p.is_role}, word)


def _keys(requires: tuple[str, ...], optional: tuple[str, ...]) -> str:
    needed = f"{_and(list(requires))} {'is' if len(requires) == 1 else 'are'} needed" if requires else "none needed"
    if not optional:
        return needed
    return f"{needed}; {_and(list(optional))} {'is' if len(optional) == 1 else 'are'} optional"


_UNITS = {"m": "minute", "h": "hour", "d": "day"}


def _within(c: Clock) -> str:
    amount, unit = int(c.within[:-1]), c.within[-1]
    noun = _UNITS[unit]
    if c.business:
        noun = "working day" if unit == "d" else f"business {noun}"
    return f"{amount} {noun}{'' if amount == 1 else 's'}"


def _clock(c: Clock) -> str:
    actions = []
    if c.notify:
        actions.append(f"tells {_who(c.notify, 'and')}")
    if c.reassign:
        actions.append("gives the lead to another rep")
    if c.fire:
        actions.append(f"fires {c.fire} with reason \"{c.reason}\"")
    done = ", and ".join([", ".join(actions[:-1]), actions[-1]] if len(actions) > 1 else actions)
    return f"{c.name}: {_within(c)} in {c.state}; when it runs out, Baton {done or 'marks it breached'}"


def _routing(state: str, rules: tuple[RouteRule, ...] | None, told: tuple[Party, ...]) -> list[str]:
    if rules is None:
        return [f"Routing: none; entering {state} assigns no rep."]
    lines = [f"Routing: entering {state} assigns a rep, by the first rule that matches and has a rep who is not away:"]
    for number, rule in enumerate(rules):
        when = f"when {rule.when}" if rule.when else ("otherwise" if number else "every lead")
        lines.append(f"  - {when}: {_reps(rule)}")
    if told:
        lines.append(f"When a rep gets the lead, Baton tells {_who(told, 'and')} at once, "
                     "with the lead's fields and its first deadline.")
    return lines


def _reps(rule: RouteRule) -> str:
    reps = _and(list(rule.assign), "or")
    if len(rule.assign) == 1:
        return reps
    if rule.strategy == "least_loaded":
        return f"{reps}, whoever has {'fewer' if len(rule.assign) == 2 else 'the fewest'} open leads"
    return f"{reps}, in turn"


def _and(items: list[str], word: str = "and") -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" {word} " + items[-1]
