"""The page's charts: pygal SVG, drawn inline, with nothing fetched and no script.

pygal is imported inside the functions: only `baton report html` needs it,
and the commands operators run all day must not pay for loading it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

BLUE, LIGHT_BLUE, ORANGE, RED, GREEN, PURPLE, TEAL = (
    "#2f6db5", "#9dbce3", "#e07b39", "#c0392b", "#4c9a5b", "#8e6bb8", "#3a9fa8")
LINE_COLOURS = (BLUE, ORANGE, GREEN, PURPLE, TEAL, RED)
# The fonts every laptop already has; a web font would be a network fetch.
FONTS = '"Segoe UI", system-ui, -apple-system, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif'
WIDTH = 900
PLOT, CHAR = 700, 8.0


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]
    labels: Sequence[str] | None = None  # the text printed on each bar or point


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, colours: Sequence[str],
              horizontal: bool = False, axis_title: str | None = None, whole: bool = False) -> str:
    """Bars, one group per label, each with its value printed on it. Horizontal
    bars read top down in `labels` order, their text just past the bar's end.
    `whole`: the values are counts, so the axis is marked at whole numbers only
    (pygal would mark 0.1, 0.2, ... up to a single lead)."""
    import pygal

    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    settings = _config(colours, len(series), _height(labels, series) if horizontal else 380)
    if horizontal:
        settings["range"] = (0, _room_for_text(series))
    chart = kind(**settings, print_values=True, print_values_position="top",
                 x_label_rotation=-30 if len(labels) > 8 and not horizontal else 0)
    # pygal draws a horizontal chart's first label at the bottom; a funnel reads top down.
    order = list(reversed(range(len(labels)))) if horizontal else list(range(len(labels)))
    chart.x_labels = [_short(labels[i]) for i in order]
    if whole:
        top = settings["range"][1] if horizontal else max(
            (value or 0 for one in series for value in one.values), default=0)
        chart.y_labels = _whole_ticks(top, inside=horizontal)
    if axis_title and horizontal:
        chart.x_title = axis_title  # the value axis of a horizontal chart runs along the bottom
    elif axis_title:
        chart.y_title = axis_title
    for one in series:
        chart.add(one.name, [_point(one, i) for i in order])
    return _svg(chart, title, text_after_bars=horizontal)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, axis_title: str,
               axis_range: tuple[float, float], value_text: Callable[[float], str]) -> str:
    """Lines over `labels` (weeks); a missing value leaves a gap, not a zero."""
    import pygal

    settings = _config(LINE_COLOURS, len(series), 380)
    settings["style"].stroke_width = settings["style"].stroke_width_hover = "3"
    chart = pygal.Line(**settings, range=axis_range, y_title=axis_title,
                       print_values=True, dots_size=4, allow_interruptions=True, margin_right=36,
                       x_label_rotation=-30 if len(labels) > 8 else 0,
                       value_formatter=lambda value: value_text(value) if value is not None else "")
    chart.x_labels = list(labels)
    for one in series:
        chart.add(one.name, list(one.values))
    return _svg(chart, title, text_after_bars=False)


def _whole_ticks(top: float, *, inside: bool) -> list[int]:
    """About eight marks at whole numbers from 0 to `top` (within it when
    `inside`: the axis end is fixed to leave room for the bars' text)."""
    end = max(1, math.floor(top) if inside else math.ceil(top))
    step = max(1, math.ceil(end / 8))
    return list(range(0, end + 1, step))


def _short(label: str, most: int = 40) -> str:
    """A label cut to fit beside its bar (pygal truncates only the labels along
    the bottom); the table under the chart keeps the whole text."""
    return label if len(label) <= most else label[:most - 1].rstrip() + "\u2026"


def _height(labels: Sequence[str], series: Sequence[Series]) -> int:
    legend = 40 if len(series) > 1 else 0
    return max(180, 60 + legend + (26 + 22 * len(series)) * len(labels))


def _room_for_text(series: Sequence[Series]) -> float:
    """The axis end that leaves each bar's text room past the bar's end, on a
    plot about PLOT pixels wide with text about CHAR pixels a character."""
    need = 1.0
    for one in series:
        for index, value in enumerate(one.values):
            text = one.labels[index] if one.labels is not None else f"{value}"
            free = PLOT - CHAR * len(text) - 16
            if value:
                need = max(need, value * PLOT / max(free, PLOT / 4))
    return need


def _point(series: Series, index: int) -> dict[str, Any]:
    value = series.values[index]
    point: dict[str, Any] = {"value": value}
    if series.labels is not None:
        text = series.labels[index]
        point["formatter"] = lambda _value: text
    return point


def _config(colours: Sequence[str], series: int, height: int) -> dict[str, Any]:
    from pygal.style import Style

    style = Style(
        font_family=FONTS, background="white", plot_background="white", foreground="#333",
        foreground_strong="#222", foreground_subtle="#e3e3e3", colors=tuple(colours), opacity="1",
        opacity_hover="1", transition="none", guide_stroke_color="#e3e3e3", major_guide_stroke_color="#cfcfcf",
        guide_stroke_dasharray="none", major_guide_stroke_dasharray="none", label_font_size=14, major_label_font_size=14,
        value_font_size=14, legend_font_size=14, title_font_size=16, value_label_font_size=13,
    )
    return {
        "style": style, "width": WIDTH, "height": height, "show_legend": series > 1, "legend_at_bottom": True,
        # pygal sizes the bottom margin for legend_at_bottom from series // columns
        # (zero rows when there are more columns than series, and the legend is cut
        # off): one row of them all keeps that sum right.
        "legend_at_bottom_columns": max(series, 1), "truncate_label": 40, "truncate_legend": 40, "margin": 12,
        "show_y_guides": True, "show_x_guides": False, "spacing": 12, "no_data_text": "",
        # No script: pygal's tooltips need one fetched from its site; values are printed on the chart instead.
        "disable_xml_declaration": True, "js": [],
    }


def _svg(chart: Any, title: str, *, text_after_bars: bool) -> str:
    chart.add_xml_filter(_quiet(title, text_after_bars))
    return str(chart.render(is_unicode=True))


def _quiet(title: str, text_after_bars: bool) -> Callable[[Any], Any]:
    """pygal's output carries its site's address in two comments and a script
    holding its settings for the tooltip script we do not load; the page keeps
    neither, so it makes no request and runs no code. The SVG's own <title>
    (shown when the mouse rests on a chart) says what the chart is.

    pygal centres a horizontal bar's text on the bar's end, half over the bar;
    starting it there instead keeps it whole and readable past the bar."""

    def clean(root: Any) -> Any:
        if text_after_bars:
            for text in root.iter():
                if _name(text) == "text" and "value" in text.get("class", "").split():
                    # pygal's style sheet would win over an attribute; a style on the element wins over it.
                    text.set("style", "text-anchor: start")
        for child in list(root):
            name = _name(child)
            if name == "#comment":
                root.remove(child)
            elif name == "defs":
                for inner in list(child):
                    if _name(inner) == "script":
                        child.remove(inner)
            elif name == "title":
                child.text = title
        return root

    return clean


def _name(element: Any) -> str:
    """An element's tag without its namespace; '#comment' for a comment (whose
    tag, in both ElementTree and lxml, is a function, not a string)."""
    return element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else "#comment"
