"""The lifecycle as a diagram (Mermaid stateDiagram-v2 or Graphviz dot),
with each arrow labelled by its trigger, guards and checklists."""

from __future__ import annotations

from .policy.model import Policy, Transition


def arrow_label(transition: Transition) -> str:
    parts = [transition.name]
    conditions = [g.expr.source for g in transition.guards]
    if conditions:
        parts.append("[" + " and ".join(conditions) + "]")
    if transition.checklists:
        parts.append("checklist " + ", ".join(transition.checklists))
    if transition.requires:
        parts.append("needs " + ", ".join(transition.requires))
    return " ".join(parts)


def mermaid(policy: Policy) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {policy.initial}"]
    for state in policy.states.values():
        if state.description:
            lines.append(f"    {state.name}: {state.name} - {state.description.replace(':', ' -')}")
    for t in policy.transitions.values():
        label = arrow_label(t).replace(":", " ").replace(";", ",")
        for source in t.sources:
            lines.append(f"    {source} --> {t.dest}: {label}")
    for state in policy.states.values():
        if state.final:
            lines.append(f"    {state.name} --> [*]")
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(policy: Policy) -> str:
    lines = [f"digraph {_quote(policy.name)} {{", "    rankdir=LR;", "    node [shape=box, style=rounded];"]
    lines.append('    "__start" [shape=point];')
    lines.append(f"    \"__start\" -> {_quote(policy.initial)};")
    for state in policy.states.values():
        shape = ", peripheries=2" if state.final else ""
        lines.append(f"    {_quote(state.name)} [label={_quote(state.name)}{shape}];")
    for t in policy.transitions.values():
        for source in t.sources:
            lines.append(f"    {_quote(source)} -> {_quote(t.dest)} [label={_quote(arrow_label(t))}];")
    lines.append("}")
    return "\n".join(lines)
