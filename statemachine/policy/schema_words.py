"""What each key of the policy means, in the words of the README and of
policies/default.yaml: the `description` an editor shows beside each key of
the JSON Schema (`json_schema.py`). Keys are dotted paths; a capital word
stands for a name the heads choose (a role, a field, a state, a move)."""

from __future__ import annotations

from ..values import FIELD_TYPES
from .check import DAYS, STRATEGIES

WORDS: dict[str, str] = {
    "(policy)": (
        "The handover agreement between Marketing and Sales: when a lead is ready for Sales, what must travel "
        "with it, who gets it, and how fast they must act. Baton enforces exactly what is written here. "
        "`baton policy check FILE` has the last word: it names every problem with its line and column."
    ),
    "policy": "The policy's name, like default-handover.",
    "version": (
        "The version number, a whole number of 1 or more. Raise it by one with every agreed change: "
        "`baton policy apply` needs it higher than the version in force."
    ),
    "description": "What this policy is for, in a sentence, for the people who read it.",
    "timezone": (
        "The clock for business hours and reports: a time zone name like Europe/London or America/New_York "
        "(default UTC)."
    ),
    # business hours
    "business_hours": (
        "When the business is open. SLA clocks marked `business: true` count only these hours "
        "(default: mon to fri, 09:00 to 17:00)."
    ),
    "business_hours.days": f"The working days: one day or a list of {', '.join(DAYS)}.",
    "business_hours.start": 'When the working day starts: a time of day in quotes, like "09:00" (24-hour hh:mm).',
    "business_hours.end": 'When the working day ends, after it starts: a time of day in quotes, like "17:30" (24-hour hh:mm).',
    "business_hours.holidays": (
        "Days the business is closed: a list of dates written YYYY-MM-DD, like [2026-12-25, 2027-01-01], or "
        "{country: GB-ENG, dates: [2026-12-24]} for a country's or region's public holidays plus days of your own."
    ),
    "business_hours.holidays.country": (
        "Whose public holidays to close on: a two-letter country code like GB or US, or a region like GB-ENG."
    ),
    "business_hours.holidays.dates": "Closed days of your own besides the public holidays, written YYYY-MM-DD, like 2026-12-24.",
    # who is who
    "roles": "Who is who: each role and the people in it. Names are the logins people use with `baton --as NAME`.",
    "roles.ROLE": "The people in this role: one login or a list of logins, like [alice, bob].",
    "fields": "What we know about a lead: each field's name and what kind of value it holds.",
    "fields.FIELD": (
        "A field: its type alone, like `product: string`, or its type with more settings, like "
        "{type: choice, values: [webinar, referral]}."
    ),
    "fields.FIELD.settings": "The field's type, and whether it is personal, its choices, default and description.",
    "fields.FIELD.type": (
        f"What kind of value the field holds: {', '.join(FIELD_TYPES[:-1])} or {FIELD_TYPES[-1]} (one of `values`). "
        "A date is written YYYY-MM-DD."
    ),
    "fields.FIELD.personal": (
        "true marks data about a person: it is kept apart from the log so it can be erased on request."
    ),
    "fields.FIELD.values": "The choices of a choice field, like [executive, manager]. Only a choice field has values.",
    "fields.FIELD.default": "The value a new lead gets when none is given; it must fit the field's type.",
    "fields.FIELD.description": "What the field holds, in words for the people who fill it in.",
    # the stages
    "states": "The stages of a lead (MQL, SAL, ...), each with the team responsible while the lead sits there.",
    "states.STATE": "A stage of a lead: the role that owns it, whether it is the end, and what it means.",
    "states.STATE.owner": "The role responsible while a lead sits in this state, like marketing or sales.",
    "states.STATE.final": "true for an end, like won: nothing may leave a final state.",
    "states.STATE.description": "What this state means, in words for the people who work the leads.",
    "initial": "The state every new lead starts in: one of the states, and not a final one.",
    # checklists
    "checklists": (
        'Checklists: each line is "what must be known: the rule that shows it is". A move that uses a '
        "checklist is refused while any item is missing, and every missing item is named."
    ),
    "checklists.CHECKLIST": "A checklist: each item's label and the rule that shows it is met.",
    "checklists.CHECKLIST.ITEM": (
        "The rule that shows this item is met, an expression like `email or phone` or `authority == true`."
    ),
    # the moves
    "transitions": "The moves a lead can make between states, like hand_over or qualify.",
    "transitions.MOVE": "A move: from where, to where, who may make it, and what must hold first.",
    "transitions.MOVE.from": "The state this move leaves, or a list of states, like [SAL, SQL].",
    "transitions.MOVE.to": "The state this move enters.",
    "transitions.MOVE.by": (
        "Who may make this move: roles, `owner` (the rep the lead is assigned to) or `system` "
        "(Baton itself, on an SLA breach)."
    ),
    "transitions.MOVE.when": (
        "Conditions that must all hold: an expression like score >= 60, or a list of them, each an expression "
        "or {expr, say}, where `say` is what people are told when it does not hold."
    ),
    "transitions.MOVE.when.condition": "A condition and what people are told when it does not hold.",
    "transitions.MOVE.when.expr": "The condition, an expression like score >= 60.",
    "transitions.MOVE.when.say": (
        "What people are told when the condition does not hold, like: the score must reach 60 before "
        "marketing hands a lead over."
    ),
    "transitions.MOVE.checklist": "The checklist, or list of checklists, whose every item must hold for this move.",
    "transitions.MOVE.requires": (
        'Keys the person making the move must give, like reason (baton lead advance L-1 recycle reason="no budget").'
    ),
    "transitions.MOVE.description": "What this move means, in words for the people who make it.",
    # routing
    "routing": (
        "Who gets a lead when it enters a state. Rules are read top to bottom; the first one with an available "
        "rep wins. Reps marked away (`baton rep away`) are skipped."
    ),
    "routing.on": "The state in which a lead gets a rep, like SQL (or a list of states).",
    "routing.rules": "The routing rules, read top to bottom: the first rule with an available rep wins.",
    "routing.notify": (
        "Who is told at once when a lead gets a rep, by routing or by an SLA reassign: roles, or `owner` for the "
        "rep it goes to, like [owner]. The notification carries the lead's fields and its first deadline."
    ),
    "routing.rules.RULE": "A routing rule: which reps may get the lead, and when.",
    "routing.rules.RULE.when": (
        "When this rule applies, an expression like persona == 'executive'; without it, it applies to every lead."
    ),
    "routing.rules.RULE.assign": "The reps this rule gives leads to: one login or a list, like [alice, bob].",
    "routing.rules.RULE.strategy": (
        f"How to pick among the reps: {' or '.join(STRATEGIES)}. round_robin takes them in turn (the default); "
        "least_loaded gives the lead to whoever has fewer open leads."
    ),
    # service levels
    "sla": "Service levels: clocks that start when a lead enters a state and stop when it leaves.",
    "sla.CLOCK": "An SLA clock: the state it runs in, how long it allows, and what happens when it runs out.",
    "sla.CLOCK.name": "The clock's name, like acknowledge; each clock has its own.",
    "sla.CLOCK.state": "The state in which the clock runs: it starts when a lead enters and stops when it leaves.",
    "sla.CLOCK.within": (
        "How long a lead may stay: a number and m (minutes), h (hours) or d (days), like 30m, 4h or 2d; "
        "more than zero and at most ten years."
    ),
    "sla.CLOCK.business": (
        "true counts business hours only, and then a day is one working day: 2d is twice the hours from "
        "start to end."
    ),
    "sla.CLOCK.breach": "What happens when the clock runs out.",
    "sla.CLOCK.breach.notify": "Who is told: roles, or `owner` for the lead's rep, like [owner, sales_manager].",
    "sla.CLOCK.breach.reassign": "true gives the lead to another rep by the routing rules (the policy needs `routing:`).",
    "sla.CLOCK.breach.fire": (
        "A move Baton itself makes, like recycle: it must leave this clock's state and list `system` in its `by`."
    ),
    "sla.CLOCK.breach.reason": "The reason written with that move, like: no response after follow-ups.",
    # notifications
    "notify": (
        "Where notifications go: webhook, email or file (at least one). Without `notify:` nothing is sent "
        "and the notifications wait."
    ),
    "notify.webhook": (
        "An http:// or https:// address that takes each notification as a JSON POST, like https://hooks.example.com/baton."
    ),
    "notify.email": "Email through an SMTP server: the server, the address emails come from, and each person's address.",
    "notify.email.server": "The SMTP server as host:port, like localhost:25 or smtp.example.com:587.",
    "notify.email.from": "The address the emails come from, like baton@example.com.",
    "notify.email.to": "Each person's email address, like {sam: sam@example.com}; the people are logins listed under roles.",
    "notify.email.to.PERSON": "This person's email address, like sam@example.com.",
    "notify.file": (
        'A file that takes each notification as a line of JSON, like notices.jsonl (a relative path is beside '
        'the database), or "-" for the screen.'
    ),
    # sign-off
    "approvals": "Sign-off: who must approve a new version of the policy before it can be put in force.",
    "approvals.required": (
        "The roles that must approve: one person of each runs `baton policy approve FILE` on the new text "
        "before `baton policy apply` puts it in force, like [marketing, sales]."
    ),
    # erasure
    "erasure": (
        "Erasure on request: who may erase every personal value of a lead with `baton lead forget ID --reason TEXT`. "
        "Without this key nobody may."
    ),
    "erasure.by": "The roles whose people may erase a person's data, like [sales_manager].",
    # the clock
    "clock": "Whether a change may give its own time with --now.",
    "identity": (
        "login: the acting person is the login name of whoever runs Baton (mapped through logins), and --as "
        "and BATON_ACTOR are refused. Leave it out to name who is acting with --as."
    ),
    "logins": "Login names mapped to the people of the policy, like {jdoe: jane}, for identity: login.",
    "logins.LOGIN": "The person of the policy this login name acts as.",
    "clock.now_on_writes": (
        "allow (the default) or refuse: refuse makes every command that changes something refuse --now "
        "(and BATON_NOW), so each change carries the time it was really made; reading commands may still use --now."
    ),
    # auditing
    "audit": "Auditing: a witness that keeps the log's head outside the database.",
    "audit.witness": (
        "daily: `baton serve` sends the log's head (its last seq and hash) once a day through the notify "
        "channels, so an auditor can later check with `baton audit verify --expect SEQ:HASH` that the log "
        "was not rewritten. Leave it out for no witness."
    ),
    # the HTTP API
    "api": "The HTTP API (`baton serve --http`): who manages its tokens.",
    "api.admins": (
        "The roles whose people may create and revoke API tokens with `baton token create` and "
        "`baton token revoke`, like [sales_manager] (the default)."
    ),
    "intake": (
        "Intakes: how a web form or another tool posts leads with its own names for the fields, to "
        "POST /v1/intake/NAME. Each intake is named like web_form."
    ),
    "intake.NAME": "One intake: which field each posted key fills, and what counts as no value.",
    "intake.NAME.map": (
        "Posted keys and the field each fills, like {E-mail: email, Company name: company}; id fills the "
        "lead id and an empty entry leaves the key out. A key not listed fills the field of the same name."
    ),
    "intake.NAME.map.KEY": "The field this posted key fills, id for the lead id, or nothing to leave it out.",
    "intake.NAME.null": 'Posted values that mean "no value", like [N/A, "-"]. Blank values are no value already.',
    "intake.NAME.extra": (
        "ignore (the default): posted keys that fill no field are left out, as web forms post extra things; "
        "error: such a key refuses the lead, naming it."
    ),
    "intake.NAME.id": "The posted key that gives the lead id, like vid; without it Baton makes one.",
}
