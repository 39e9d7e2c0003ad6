"""The reports page as a head opens it: every report drawn, the sentences
under the charts saying the figures' numbers, nothing fetched from the
network, and nothing left undrawn when there are no figures yet. In a real
browser: test_report_page_in_browser.py."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from report_sample import CHARTS, SECTIONS, Page, empty_figures, sample_figures

from cli.report_html import write_page
from statemachine.errors import BadArgument
from statemachine.reports.page import render

ROOT = Path(__file__).resolve().parent.parent
# The only addresses a page may hold: the names of the SVG and XLink vocabularies, which are never fetched.
NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def page(figures: dict[str, Any]) -> Page:
    return Page(render(figures))


# -- every report, in words a head reads ------------------------------------------------------------
def test_every_report_has_its_section_with_its_chart_in_the_order_a_head_reads_them() -> None:
    shown = page(sample_figures())
    assert list(shown.sections) == SECTIONS
    assert {section: shown.sections[section]["svgs"] for section in CHARTS} == dict.fromkeys(CHARTS, 1)
    assert shown.sections["breaches-by-hour"]["heatmaps"] == 1


def test_the_heading_names_the_policy_its_version_the_window_and_the_time_in_the_policy_zone() -> None:
    shown = page(sample_figures())
    assert shown.heading == ["Policy default-handover, version 2 \u00b7 Events from 2026-11-01 00:00 GMT to "
                              "2026-12-01 00:00 GMT \u00b7 figures as of 2026-12-05 09:00 GMT"]
    summer = sample_figures()
    summer["window"].update(since=None, until=None, as_of="2027-07-01T09:00:00+00:00")
    assert page(summer).heading == ["Policy default-handover, version 2 \u00b7 Every event in the log \u00b7 "
                                     "figures as of 2027-07-01 10:00 BST"]


def test_the_tiles_give_the_numbers_both_heads_look_for_first() -> None:
    assert page(sample_figures()).tiles == [
        "120 leads entered MQL", "18 leads reached won", "77% of SLA clocks met in time", "32 leads recycled",
        "29 leads open with reps now",
    ]


def test_the_sentences_under_each_chart_say_the_figures_numbers() -> None:
    captions = {section: found["captions"] for section, found in page(sample_figures()).sections.items()}
    assert captions == {
        "funnel": [
            "Of 120 leads that entered MQL, 100 reached SAL (83%).",
            "Of 100 leads that entered SAL, 90 reached SQL (90%).",
            "Of 90 leads that entered SQL, 80 reached accepted (89%).",
            "Of 80 leads that entered accepted, 75 reached contacted (94%).",
            "Of 75 leads that entered contacted, 18 reached won (24%).",
        ],
        "time-in-state": [
            "Of 120 leads that entered MQL, 104 left it; median 30.5 hours, 9 in 10 within 4 days.",
            "Of 100 leads that entered SAL, 96 left it; median 5.3 hours, 9 in 10 within 20 hours.",
            "Of 90 leads that entered SQL, 88 left it; median 3.2 hours, 9 in 10 within 7.8 hours.",
            "Of 80 leads that entered accepted, 78 left it; median 30 minutes, 9 in 10 within 2 hours.",
            "Of 75 leads that entered contacted, 70 left it; median 6.3 days, 9 in 10 within 13.3 days.",
            "Of 32 leads that entered recycled, 12 left it; median 16.7 days, 9 in 10 within 37.5 days.",
        ],
        "sla-compliance": [
            "acknowledge: 72 of 84 clocks met in time (86%), 12 breached, 6 still running; median 2.1 hours to "
            "stop. Worst week: the one starting Monday 9 Nov 2026, 80% met.",
            "follow_up: 40 of 62 clocks met in time (65%), 22 breached, 13 still running; median 6.7 days to "
            "stop. Worst week: the one starting Monday 23 Nov 2026, 60% met.",
        ],
        "breaches-by-hour": [
            "34 breaches in all; the most in one hour: Thursday 14:00\u201315:00 (8). The worst day: Friday "
            "(10 breaches).",
            "By SLA: follow_up 22, acknowledge 12.",
            "Hours are Europe/London time.",
        ],
        "recycle-reasons": [
            "32 leads recycled; the most common reason: \u201cno budget this year\u201d (14, 44%).",
            "12 of them came back to MQL and 2 of those were won.",
        ],
        "rep-load": [
            "90 leads assigned to 3 reps. Most: alice (40, 44%); fewest: carol (20, 22%).",
            "Most open now: alice (12).",
            "Most breaches: bob (6).",
        ],
    }


def test_the_tables_hold_every_state_sla_reason_and_rep_with_times_as_people_say_them() -> None:
    sections = page(sample_figures()).sections
    assert sections["funnel"]["rows"] == [
        "State Entered Left Went on to Median time in it 9 in 10 left within",
        "MQL 120 104 SAL 100, recycled 4 30.5 hours 4 days",
        "SAL 100 96 SQL 90, recycled 6 5.3 hours 20 hours",
        "SQL 90 88 accepted 80, disqualified 8 3.2 hours 7.8 hours",
        "accepted 80 78 contacted 75, disqualified 3 30 minutes 2 hours",
        "contacted 75 70 disqualified 30, recycled 22, won 18 6.3 days 13.3 days",
        "won 18 0 \u2014 \u2014 \u2014",
        "disqualified 41 0 \u2014 \u2014 \u2014",
        "recycled 32 12 MQL 12 16.7 days 37.5 days",
    ]
    assert sections["sla-compliance"]["rows"][1:] == ["acknowledge 90 72 12 6 86% 2.1 hours",
                                                      "follow_up 75 40 22 13 65% 6.7 days"]
    assert sections["recycle-reasons"]["rows"][1:] == ["no budget this year 14 2 5 1",
                                                       "no response after follow-ups 12 3 4 0",
                                                       "wrong persona 6 1 3 1"]
    assert sections["rep-load"]["rows"][1:] == ["alice 40 rule 2: 40 12 1.5 hours 5",
                                                "bob 30 rule 2: 30 8 2.8 hours 6",
                                                "carol 20 rule 1: 20 9 45 minutes 1"]


def test_the_heat_map_has_a_row_a_day_a_cell_an_hour_and_each_days_total() -> None:
    rows = page(sample_figures()).sections["breaches-by-hour"]["rows"]
    assert len(rows) == 1 + 7
    assert rows[0] == " ".join(f"{hour:02d}" for hour in range(24)) + " All day"
    assert rows[1:] == ["Mon 2 2", "Tue 6 6", "Wed 2 2", "Thu 8 8", "Fri 7 3 10", "Sat", "Sun 6 6"]


def test_text_from_the_log_is_shown_as_text_never_run_as_markup() -> None:
    figures = sample_figures()
    figures["recycle"][0]["reason"] = '<script>alert("hi")</script> & <b>timing</b>'
    html = render(figures)
    assert "<script" not in html and "<b>" not in html
    assert page(figures).sections["recycle-reasons"]["rows"][1] == \
        '<script>alert("hi")</script> & <b>timing</b> 14 2 5 1'


def test_figures_split_by_group_are_refused_since_the_page_shows_the_whole_team() -> None:
    figures = sample_figures()
    figures["sla"][0]["group"] = "alice"
    refusal = "the page draws figures computed without `by`; compute them again without it"
    with pytest.raises(ValueError, match=f"^{re.escape(refusal)}$"):
        render(figures)


# -- self-contained ---------------------------------------------------------------------------------
def test_the_page_holds_no_network_address_script_or_outside_style() -> None:
    html = render(sample_figures())
    shown = Page(html)
    links = [(tag, name, value) for tag, name, value in shown.attributes if name in ("src", "href", "xlink:href")]
    assert links == []
    assert set(re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html)) <= NAMESPACES
    assert "<script" not in html and "<link" not in html and "@import" not in html and "url(" not in html


def test_the_page_is_well_formed_and_prints_on_a4() -> None:
    html = render(sample_figures())
    shown = Page(html)
    assert shown.misnested == []
    assert shown.open == []
    assert html.startswith("<!DOCTYPE html>")
    assert re.search(r"@media print \{\s*@page \{ size: A4;", html)


def test_empty_figures_give_a_page_saying_there_is_nothing_yet_in_each_section() -> None:
    shown = page(empty_figures())
    assert shown.misnested == []
    assert {section: found["empty"] for section, found in shown.sections.items()} == {
        "funnel": ["Nothing yet: no lead entered a state in this window."],
        "time-in-state": ["Nothing yet: no lead has left a state in this window."],
        "sla-compliance": ["Nothing yet: no SLA clock started in this window."],
        "breaches-by-hour": ["Nothing yet: no SLA was breached in this window."],
        "recycle-reasons": ["Nothing yet: no lead was recycled in this window."],
        "rep-load": ["Nothing yet: no lead was assigned to a rep in this window."],
    }
    assert all(found["svgs"] == 0 and found["captions"] == [] for found in shown.sections.values())
    assert shown.tiles == ["0 leads entered MQL", "0 leads reached won", "\u2014 no SLA clock met or breached yet",
                           "0 leads recycled", "0 leads open with reps now"]


def test_only_the_page_loads_pygal_and_jinja2() -> None:
    """They cost more to import than `baton lead show` may take; importing
    the page's modules must not load them, only drawing a page."""
    script = (
        "import sys\n"
        "import cli.report_html, statemachine.reports.page\n"
        "print(sorted(m for m in ('pygal', 'jinja2') if m in sys.modules))\n"
        "sys.path.insert(0, 'tests')\n"
        "from report_sample import sample_figures\n"
        "statemachine.reports.page.render(sample_figures())\n"
        "print(sorted(m for m in ('pygal', 'jinja2') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["[]", "['jinja2', 'pygal']"]


# -- writing the file -------------------------------------------------------------------------------
def test_the_page_is_written_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "reports.html"
    target.write_text("last month's page")
    write_page(str(target), "<!DOCTYPE html><p>new</p>")
    assert target.read_text() == "<!DOCTYPE html><p>new</p>"
    assert [path.name for path in tmp_path.iterdir()] == ["reports.html"]


@pytest.mark.parametrize(("where", "message"), [
    ("missing/reports.html", "cannot write {path}: the folder {folder} does not exist; create it or pick another file"),
    ("", "{path} is a folder; name the page's file, like {path}/reports.html"),
])
def test_a_page_that_cannot_be_written_is_one_plain_line_and_nothing_is_written(
        tmp_path: Path, where: str, message: str) -> None:
    path = str(tmp_path / where) if where else str(tmp_path)
    with pytest.raises(BadArgument) as refused:
        write_page(path, "<!DOCTYPE html>")
    assert str(refused.value) == message.format(path=path, folder=tmp_path / "missing")
    assert list(tmp_path.iterdir()) == []


def test_charts_of_leads_mark_their_axis_at_whole_numbers_never_a_tenth_of_a_lead() -> None:
    from statemachine.reports.page_charts import BLUE, Series, bar_chart

    def marks(svg: str) -> set[str]:
        return set(re.findall(r'class="axis [xy] always_show"|>(\d+(?:\.\d+)?)</text>', svg)) - {""}

    for horizontal in (True, False):
        counted = bar_chart("Leads", ["no answer", "no budget"], [Series("Recycled", [1, 0])],
                            colours=[BLUE], horizontal=horizontal, whole=True)
        assert not any("." in mark for mark in marks(counted)), horizontal
        assert {"0", "1"} <= marks(counted)
        hours = bar_chart("Hours", ["MQL"], [Series("Median", [1])], colours=[BLUE], horizontal=horizontal)
        assert any("." in mark for mark in marks(hours)), "a chart of hours keeps its fractions"
