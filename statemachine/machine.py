"""The lead lifecycle as a `transitions` Machine: one per policy version, shared.

`transitions` is kept behind this small interface: the rest of Baton sees
`LeadMachine.fire`, `allowed` and `missing_items`, and typed errors from
`errors.py`, never a `MachineError` or a model with attributes set on it.

Each transition has one condition that checks who is acting, then the
`requires` keys and every guard and checklist item together, and keeps the
full list of what is unmet, so a refusal names all of it at once. This is the one
place that judges: firing, `allowed`, `audit verify` re-judging the log and
`policy simulate` judging a candidate policy all ask it.

What entering a state does (routing, the SLA clocks that start, who is told
of an assignment) is declared once here too, as a table built with the
machine (`on_enter`). It is a table rather than `transitions`' own `on_enter`
callbacks because a lead enters states without a trigger firing: it is
created (or imported) in the initial state, `policy apply --map` moves it,
an SLA reassign routes it again, and `audit rebuild` replays all of these
from the log. The machine fires callbacks only for its own transitions.

A personal value erased since it was logged (`ERASED`, met when the log is
replayed) counts as present: a guard or checklist item that reads it is not
held against the lead, since nobody can say any more whether it held.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import BatonError, MissingKeys, NotAllowed, Refused, UnknownTrigger, WrongState
from .policy.model import OWNER, SYSTEM, Policy, Sla, Transition
from .record import Record


class Erased(str):
    """A personal value erased since it was logged: present (truthy), unknown.
    It matches any value in the `leads` table and is written there as null."""


ERASED = Erased("[erased]")


class LeadView:
    """What the rules see of a lead; the Machine's model while a trigger fires.
    (A plain class: a dataclass would compile its methods in every command.)"""

    def __init__(self, id: str, state: str, owner: str | None, fields: dict[str, Any], attempts: int = 0,
                 state_since: dt.datetime | None = None, refusal: BatonError | None = None):
        self.id, self.state, self.owner, self.fields = id, state, owner, fields
        self.attempts, self.state_since, self.refusal = attempts, state_since, refusal

    def env(self, actor: str, now: dt.datetime) -> dict[str, Any]:
        hours = (now - self.state_since).total_seconds() / 3600 if self.state_since else 0.0
        return {
            **self.fields, "state": self.state, "owner": self.owner, "actor": actor,
            "attempts": self.attempts, "hours_in_state": hours,
        }


class EntryEffects(Record):
    """What entering one state does under one policy version.

    `route`: the lead gets a rep by the routing rules. `clocks`: the SLA
    clocks that start (any running clock of the state left stops).
    `notify`: who is told when the lead gets a rep in this state, by routing
    on entry or by an SLA reassign (`owner` is the rep it goes to)."""

    state: str
    route: bool = False
    clocks: tuple[Sla, ...] = ()
    notify: tuple[str, ...] = ()


def entry_table(policy: Policy) -> dict[str, EntryEffects]:
    """Each state's `EntryEffects`, read from the policy once."""
    routing = policy.routing
    return {
        state: EntryEffects(
            state,
            route=routing is not None and state in routing.on,
            clocks=tuple(sla for sla in policy.sla if sla.state == state),
            notify=routing.notify if routing is not None else (),
        )
        for state in policy.states
    }


class LeadMachine:
    def __init__(self, policy: Policy):
        self.policy = policy
        self._actor_readers: dict[str, bool] = {}
        self._entry = entry_table(policy)
        self._built: Any = None

    @property
    def _machine(self) -> Any:
        """The `transitions` Machine, built when a trigger first fires."""
        if self._built is None:
            self._built = _transitions("Machine")(
                model=None,
                states=list(self.policy.states),
                initial=self.policy.initial,
                transitions=[
                    {
                        "trigger": t.name, "source": list(t.sources), "dest": t.dest,
                        "conditions": [self._condition(t)],
                    }
                    for t in self.policy.transitions.values()
                ],
                auto_transitions=False,
                send_event=True,
            )
        return self._built

    # -- entering a state -----------------------------------------------------
    def on_enter(self, state: str) -> EntryEffects:
        """What entering `state` does; a state this version lacks does nothing."""
        return self._entry.get(state) or EntryEffects(state)

    # -- rules ----------------------------------------------------------------
    def may_act(self, transition: Transition, lead: LeadView, actor: str) -> bool:
        for who in transition.by:
            if who == OWNER and lead.owner is not None and actor == lead.owner:
                return True
            if who == SYSTEM and actor == SYSTEM:
                return True
            if actor in self.policy.roles.get(who, ()):
                return True
        return False

    def missing_items(self, lead: LeadView, names: tuple[str, ...], env: dict[str, Any]) -> dict[str, list[str]]:
        """checklist -> the labels that do not hold (only checklists with gaps)."""
        missing = {}
        for name in names:
            labels = [label for label, expr in self.policy.checklists[name].items if not expr.holds(env)]
            if labels:
                missing[name] = labels
        return missing

    def refusal(self, transition: Transition, lead: LeadView, actor: str, args: dict[str, str],
                now: dt.datetime) -> BatonError | None:
        role = self._role_refusal(transition, lead, actor)
        if role is not None:
            return role
        absent = [key for key in transition.requires if not args.get(key, "").strip()]
        rules = self.rules_refusal(transition, lead, lead.env(actor, now))
        if absent and rules is not None:
            return Refused(lead.id, transition.name, rules.missing, rules.failed, absent)
        if absent:
            return MissingKeys(lead.id, transition.name, absent)
        return rules

    def rules_refusal(self, transition: Transition, lead: LeadView, env: dict[str, Any]) -> Refused | None:
        """The guards and checklist items of `transition` that do not hold in `env`."""
        failed = [g.message for g in transition.guards if not g.expr.holds(env)]
        missing = self.missing_items(lead, transition.checklists, env)
        if (failed or missing) and any(isinstance(value, Erased) for value in lead.fields.values()):
            erased = {name for name, value in lead.fields.items() if isinstance(value, Erased)}
            failed = [g.message for g in transition.guards if not g.expr.holds(env) and not g.expr.names & erased]
            missing = self._missing_known(transition.checklists, env, erased)
        if failed or missing:
            return Refused(lead.id, transition.name, missing, failed)
        return None

    def _missing_known(self, names: tuple[str, ...], env: dict[str, Any], erased: set[str]) -> dict[str, list[str]]:
        missing = {}
        for name in names:
            labels = [label for label, expr in self.policy.checklists[name].items
                      if not expr.holds(env) and not expr.names & erased]
            if labels:
                missing[name] = labels
        return missing

    def who_may(self, transition: Transition, lead: LeadView, actors: tuple[str, ...],
                now: dt.datetime) -> dict[str, BatonError | None]:
        """actor -> why `transition` is refused to them on `lead` (None: allowed),
        as `refusal` would say with every `requires` key given. The guards and
        items that do not read `actor` are judged once for all of them."""
        args = {key: "given" for key in transition.requires}
        if self._reads_actor(transition):
            return {actor: self.refusal(transition, lead, actor, args, now) for actor in actors}
        shared: BatonError | None = None
        judged = False
        verdicts: dict[str, BatonError | None] = {}
        for actor in actors:
            role = self._role_refusal(transition, lead, actor)
            if role is not None:
                verdicts[actor] = role
                continue
            if not judged:
                shared, judged = self.rules_refusal(transition, lead, lead.env(actor, now)), True
            verdicts[actor] = shared
        return verdicts

    def _reads_actor(self, transition: Transition) -> bool:
        reads = self._actor_readers.get(transition.name)
        if reads is None:
            exprs = [g.expr for g in transition.guards]
            exprs += [e for name in transition.checklists for _, e in self.policy.checklists[name].items]
            reads = self._actor_readers[transition.name] = any("actor" in e.names for e in exprs)
        return reads

    def _role_refusal(self, transition: Transition, lead: LeadView, actor: str) -> NotAllowed | None:
        if self.may_act(transition, lead, actor):
            return None
        in_no_role = actor != SYSTEM and not any(actor in members for members in self.policy.roles.values())
        return NotAllowed(lead.id, transition.name, actor, describe_by(transition, self.policy),
                          self.policy.roles if in_no_role else None)

    def _condition(self, transition: Transition) -> Any:
        def condition(event: Any) -> bool:
            lead: LeadView = event.model
            lead.refusal = self.refusal(transition, lead, event.kwargs["actor"], event.kwargs["args"], event.kwargs["now"])
            return lead.refusal is None

        return condition

    # -- firing ---------------------------------------------------------------
    def fire(self, lead: LeadView, trigger: str, actor: str, args: dict[str, str], now: dt.datetime) -> str:
        """Move `lead` (in place) by `trigger`; return the new state or raise why not."""
        transition = self.policy.transitions.get(trigger)
        if transition is None:
            raise UnknownTrigger(trigger, list(self.policy.transitions))
        lead.refusal = None
        try:
            moved = self._machine.events[trigger].trigger(lead, actor=actor, args=args, now=now)
        except _transitions("MachineError"):
            raise WrongState(lead.id, trigger, lead.state, list(transition.sources)) from None
        if not moved:
            assert lead.refusal is not None
            raise lead.refusal
        return lead.state

    def allowed(self, lead: LeadView, actor: str, now: dt.datetime) -> list[str]:
        """Triggers `actor` could fire now, leaving out any that needs extra keys.
        (`may_act` first: a transition `actor` may not fire is left out without
        writing the sentence that would refuse it.)"""
        return [
            t.name
            for t in self.policy.transitions.values()
            if lead.state in t.sources and self.may_act(t, lead, actor)
            and self.refusal(t, lead, actor, {k: "given" for k in t.requires}, now) is None
        ]


def describe_by(transition: Transition, policy: Policy) -> str:
    return describe_who(transition.by, policy.roles)


def describe_who(names: Iterable[str], roles: Mapping[str, Iterable[str]], word: str = "or") -> str:
    """`by` or `notify` names in words: 'sales (alice, bob) or the lead's owner'."""
    parts = []
    for who in names:
        if who == OWNER:
            parts.append("the lead's owner")
        elif who == SYSTEM:
            parts.append("Baton itself (system)")
        else:
            members = ", ".join(roles.get(who, ())) or "nobody yet"
            parts.append(f"{who} ({members})")
    return f" {word} ".join(parts)


def __getattr__(name: str) -> Any:
    """`Machine` and `MachineError`, imported from `transitions` when first
    asked for: `lead show` and `allowed` never need them, and the import (with
    logging and six) is a tenth of a `lead show` (benchmarks/cli_latency.py)."""
    if name in ("Machine", "MachineError"):
        import transitions

        value = globals()[name] = getattr(transitions, name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _transitions(name: str) -> Any:
    """This module's `Machine` or `MachineError` (imported at first use)."""
    return globals()[name] if name in globals() else __getattr__(name)


_machines: dict[str, LeadMachine] = {}


def machine_for(policy: Policy, text_hash: str) -> LeadMachine:
    """The shared machine of a policy version, built once per process and
    keyed by the hash of the policy text."""
    if text_hash not in _machines:
        _machines[text_hash] = LeadMachine(policy)
    return _machines[text_hash]
