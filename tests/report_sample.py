"""The figures the page tests draw, and a reader of the page they make.

The figures are written by hand to the reports contract (the dict that
`Figures.as_json()` gives), with numbers chosen so every sentence on the page
can be checked by eye: 120 MQLs, 18 won, 34 breaches, 32 recycled, 90 assigned.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

SECTIONS = ["funnel", "time-in-state", "sla-compliance", "breaches-by-hour", "recycle-reasons", "rep-load"]
CHARTS = [section for section in SECTIONS if section != "breaches-by-hour"]  # that one is a table of cells
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})


class Page(HTMLParser):
    """What a reader sees of the page, read with the standard library's parser:
    the heading line, the tiles, each section's charts, sentences, table rows
    and empty notice; every attribute; and any tag closed out of order."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, list[str]]] = []  # tag and classes of each element not yet closed
        self.misnested: list[str] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.heading: list[str] = []
        self.tiles: list[str] = []
        self.sections: dict[str, dict[str, Any]] = {}
        self.section: dict[str, Any] | None = None
        self.gathering: tuple[int, list[str], list[str]] | None = None  # depth, text so far, where it goes
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        self.attributes += [(tag, name, value) for name, value in found.items()]
        classes = found.get("class", "").split()
        parent = self.open[-1][1] if self.open else []
        if tag == "section":
            self.section = self.sections.setdefault(found["id"], {"svgs": 0, "heatmaps": 0, "captions": [],
                                                                 "rows": [], "empty": []})
        if self.gathering is not None:
            self.gathering[1].append(" ")
        if tag in VOID:
            return
        self.open.append((tag, classes))
        if self.gathering is not None:
            return
        into = None
        if tag == "p" and "meta" in classes:
            into = self.heading
        elif tag == "div" and "tile" in classes:
            into = self.tiles
        elif self.section is not None:
            self.section["svgs"] += tag == "svg"
            self.section["heatmaps"] += tag == "table" and "heatmap" in classes
            into = {("li", "captions" in parent): self.section["captions"], ("p", "empty" in classes):
                    self.section["empty"], ("tr", True): self.section["rows"]}.get((tag, True))
        if into is not None:
            self.gathering = (len(self.open), [], into)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name, value or "") for name, value in attrs]

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1][0] != tag:
            self.misnested.append(f"</{tag}> closes <{self.open[-1][0] if self.open else 'nothing'}>")
            return
        if self.gathering is not None:
            depth, text, into = self.gathering
            text.append(" ")
            if depth == len(self.open):
                into.append(" ".join("".join(text).split()))
                self.gathering = None
        self.open.pop()
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        if self.gathering is not None:
            self.gathering[1].append(data)


def sample_figures() -> dict[str, Any]:
    return {
        "window": {"since": "2026-11-01T00:00:00+00:00", "until": "2026-12-01T00:00:00+00:00",
                   "as_of": "2026-12-05T09:00:00+00:00", "policy": "default-handover", "version": 2,
                   "zone": "Europe/London"},
        "states": ["MQL", "SAL", "SQL", "accepted", "contacted", "won", "disqualified", "recycled"],
        "main_path": ["MQL", "SAL", "SQL", "accepted", "contacted", "won"],
        "funnel": [
            _state("MQL", 120, 104, {"SAL": 100, "recycled": 4}, 30.5, 96.0),
            _state("SAL", 100, 96, {"SQL": 90, "recycled": 6}, 5.25, 20.0),
            _state("SQL", 90, 88, {"accepted": 80, "disqualified": 8}, 3.2, 7.75),
            _state("accepted", 80, 78, {"contacted": 75, "disqualified": 3}, 0.5, 2.0),
            _state("contacted", 75, 70, {"won": 18, "recycled": 22, "disqualified": 30}, 150.0, 320.0),
            _state("won", 18, 0, {}, None, None),
            _state("disqualified", 41, 0, {}, None, None),
            _state("recycled", 32, 12, {"MQL": 12}, 400.0, 900.0),
        ],
        "conversion": [
            _step("MQL", "SAL", 120, 100), _step("SAL", "SQL", 100, 90), _step("SQL", "accepted", 90, 80),
            _step("accepted", "contacted", 80, 75), _step("contacted", "won", 75, 18),
        ],
        "sla": [
            {"sla": "acknowledge", "group": None, "started": 90, "met": 72, "breached": 12, "running": 6,
             "compliance": 0.8571, "median_hours_to_stop": 2.1},
            {"sla": "follow_up", "group": None, "started": 75, "met": 40, "breached": 22, "running": 13,
             "compliance": 0.6452, "median_hours_to_stop": 160.0},
        ],
        "sla_weekly": [
            _week("acknowledge", "2026-11-02", 18, 2), _week("acknowledge", "2026-11-09", 20, 5),
            _week("acknowledge", "2026-11-16", 16, 1), _week("acknowledge", "2026-11-23", 18, 4),
            _week("follow_up", "2026-11-09", 10, 5), _week("follow_up", "2026-11-16", 15, 7),
            _week("follow_up", "2026-11-23", 15, 10),
        ],
        "breaches_by_hour": [
            _cell("acknowledge", 0, 9, 2), _cell("acknowledge", 2, 11, 2), _cell("acknowledge", 4, 15, 5),
            _cell("acknowledge", 4, 16, 3), _cell("follow_up", 1, 10, 6), _cell("follow_up", 3, 14, 8),
            _cell("follow_up", 4, 15, 2), _cell("follow_up", 6, 20, 6),
        ],
        "recycle": [
            {"reason": "no budget this year", "count": 14, "median_attempts": 2.0, "came_back": 5, "won_after": 1},
            {"reason": "no response after follow-ups", "count": 12, "median_attempts": 3.0, "came_back": 4,
             "won_after": 0},
            {"reason": "wrong persona", "count": 6, "median_attempts": 1.0, "came_back": 3, "won_after": 1},
        ],
        "reps": [
            {"rep": "alice", "assigned": 40, "by_rule": {"2": 40}, "open": 12, "median_hours_to_accept": 1.5,
             "breaches": 5},
            {"rep": "bob", "assigned": 30, "by_rule": {"2": 30}, "open": 8, "median_hours_to_accept": 2.75,
             "breaches": 6},
            {"rep": "carol", "assigned": 20, "by_rule": {"1": 20}, "open": 9, "median_hours_to_accept": 0.75,
             "breaches": 1},
        ],
    }


def empty_figures() -> dict[str, Any]:
    """What an empty database gives: the policy's shape, and every list of figures empty."""
    figures = sample_figures()
    for key in ("funnel", "conversion", "sla", "sla_weekly", "breaches_by_hour", "recycle", "reps"):
        figures[key] = []
    return figures


def _state(state: str, entered: int, left: int, to: dict[str, int], median: float | None,
           p90: float | None) -> dict[str, Any]:
    return {"state": state, "group": None, "entered": entered, "left": left, "to": to, "median_hours": median,
            "p90_hours": p90}


def _step(source: str, target: str, entered: int, reached: int) -> dict[str, Any]:
    return {"from": source, "to": target, "group": None, "entered": entered, "reached": reached,
            "rate": round(reached / entered, 4)}


def _week(sla: str, week: str, met: int, breached: int) -> dict[str, Any]:
    return {"sla": sla, "week": week, "met": met, "breached": breached, "compliance": round(met / (met + breached), 4)}


def _cell(sla: str, weekday: int, hour: int, breaches: int) -> dict[str, Any]:
    return {"sla": sla, "weekday": weekday, "hour": hour, "breaches": breaches}
