"""The names of the events Baton itself writes: one vocabulary.

A transition's event is named for its trigger, so these names are reserved:
`policy check` refuses a transition (or a state or checklist, which people
read beside them) that takes one, and `audit verify` names an event whose
name is neither one of these nor a trigger of its policy version.
"""

from __future__ import annotations

CREATED = "created"
UPDATED = "updated"
ASSIGNED = "assigned"
UNROUTED = "unrouted"
ATTEMPT = "attempt"
SLA_BREACH = "sla_breach"
POLICY_APPLIED = "policy_applied"
MOVED = "moved"
APPROVED = "approved"
ERASED = "erased"
REP_AWAY = "rep_away"
REP_BACK = "rep_back"

BATON_EVENTS = (CREATED, UPDATED, ASSIGNED, UNROUTED, ATTEMPT, SLA_BREACH, POLICY_APPLIED, MOVED, APPROVED,
                ERASED, REP_AWAY, REP_BACK)
# A lead's events that are not transitions: they never move it by a trigger.
LIFECYCLE_EVENTS = frozenset({CREATED, UPDATED, ASSIGNED, UNROUTED, ATTEMPT, SLA_BREACH, MOVED, ERASED})
# Events a lead's history may hold besides its transitions; each says the
# state the lead was in (`from`, when it has one) and never changes it.
IN_STATE_EVENTS = frozenset({ASSIGNED, UNROUTED, ATTEMPT, SLA_BREACH})
