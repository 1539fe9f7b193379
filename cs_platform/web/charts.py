"""Server-rendered inline SVG charts: no chart library, no script, no ``style=""`` (the CSP forbids
inline styles); colours come from classes styled in static/css/app.css. Every text is escaped.

Each mark carries a ``<title>`` so hovering shows its exact figure, and the chart has an
``aria-label`` summarising it for screen readers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar / beside it
    value: int
    title: str  # the tooltip: label and exact figure
    muted: bool = False  # drawn grey (e.g. a feature not used in the window)


def _nice_max(value: float) -> int:
    """A round axis maximum >= value (1, 2, 5 x 10^n), so gridlines fall on readable numbers."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return int(step * exponent) if step * exponent >= 1 else 1
    return int(10 * exponent)


# A reference line further above the bars than this factor is not drawn to scale (see bars_with_line).
LINE_HEADROOM = 2


def bars_with_line(
    bars: Sequence[Bar], *, line_value: int | None, line_label: str, aria_label: str,
    width: int = 640, height: int = 220,
) -> SafeString:
    """Vertical bars (e.g. weekly active users) with a horizontal reference line (e.g. seats).

    The axis is scaled to the bars (a round maximum just above the tallest), not to the line: 3 active
    users against 500 seats drawn on 0-500 were invisible slivers. The line is drawn, and the axis
    stretched to include it, only when it is within ``LINE_HEADROOM`` times the bars' own round
    maximum; a line further above is named in the top right corner instead ("Seats: 500, above the
    scale"), so the bars stay readable and the reference stays said."""
    left, right, top, bottom = 36, 8, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    bars_top = _nice_max(max([b.value for b in bars] + [0]))
    line_on_scale = line_value is not None and line_value <= LINE_HEADROOM * bars_top
    top_value = _nice_max(max(bars_top, line_value or 0)) if line_on_scale else bars_top
    slot = plot_w / max(len(bars), 1)
    bar_w = max(slot * 0.7, 1)

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    parts = [format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">', width, height, aria_label)]
    for tick in (0, top_value // 2, top_value) if top_value > 1 else (0, top_value):
        parts.append(format_html(
            '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
            '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
            left, f"{y(tick):.1f}", width - right, f"{y(tick):.1f}", left - 4, f"{y(tick) + 4:.1f}", tick))
    for i, bar in enumerate(bars):
        x = left + i * slot + (slot - bar_w) / 2
        parts.append(format_html(
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
            "bar muted" if bar.muted else "bar", f"{x:.1f}", f"{y(bar.value):.1f}", f"{bar_w:.1f}",
            f"{plot_h * bar.value / top_value:.1f}", bar.title))
        parts.append(format_html(
            '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
            f"{x + bar_w / 2:.1f}", height - bottom + 14, bar.label))
    if line_value is not None and not line_on_scale:
        parts.append(format_html(
            '<text class="ref-label" x="{}" y="{}" text-anchor="end">{}<title>{}</title></text>',
            width - right, top - 4, f"{line_label}, above the scale", f"{line_label}: above the axis maximum "
            f"{top_value}, not drawn to scale"))
    elif line_value is not None:
        parts.append(format_html(
            '<line class="ref" x1="{}" y1="{}" x2="{}" y2="{}"><title>{}</title></line>'
            '<text class="ref-label" x="{}" y="{}" text-anchor="end">{}</text>',
            left, f"{y(line_value):.1f}", width - right, f"{y(line_value):.1f}", line_label,
            width - right, f"{y(line_value) - 4:.1f}", line_label))
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant closing tag
    return mark_safe("".join(parts))  # noqa: S308 - every part above was built by format_html (escaped)


def horizontal_bars(bars: Sequence[Bar], *, aria_label: str, width: int = 640, row: int = 22) -> SafeString:
    """One horizontal bar per item (e.g. events per catalog feature); muted items get a thin grey stub."""
    label_w, right = 170, 60
    plot_w = width - label_w - right
    height = max(len(bars), 1) * row + 6
    top_value = _nice_max(max([b.value for b in bars] + [0]))
    rows = []
    for i, bar in enumerate(bars):
        y = 3 + i * row
        bar_len = max(plot_w * bar.value / top_value, 2)
        rows.append((label_w - 6, f"{y + row * 0.65:.1f}", bar.label[:28], "bar muted" if bar.muted else "bar",
                     label_w, y + 3, f"{bar_len:.1f}", row - 6, bar.title,
                     f"{label_w + bar_len + 4:.1f}", f"{y + row * 0.65:.1f}", bar.value))
    body = format_html_join(
        "",
        '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>'
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
        '<text class="axis" x="{}" y="{}">{}</text>',
        rows,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">{}</svg>',
        width, height, aria_label, body)


@dataclass(frozen=True)
class Point:
    x_label: str  # the day, under the axis for some points and in every mark's tooltip
    value: float | None  # None: a gap (the line breaks there)
    title: str


def line_with_bands(points: Sequence[Point], *, edges: Sequence[tuple[str, float]], aria_label: str,
                    width: int = 640, height: int = 220, top_value: float = 100, labels_every: int = 15) -> SafeString:
    """A line over evenly spaced points (e.g. a daily score on 0-100) with a dashed horizontal line at each
    band edge (``(name, lower edge)``; the edge at 0 is the axis itself), the band's name beside it. A point
    without a value breaks the line, so a missing day is never drawn as a straight guess."""
    left, right, top, bottom = 36, 64, 12, 26
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(points) - 1, 1)

    def y(value: float) -> float:
        return top + plot_h - plot_h * min(max(value, 0), top_value) / top_value

    parts = [format_html(
        '<svg class="chart trend" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMinYMin meet">', width, height, aria_label)]
    parts.append(format_html('<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                             '<text class="axis" x="{}" y="{}" text-anchor="end">0</text>'
                             '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>',
                             left, f"{y(0):.1f}", width - right, f"{y(0):.1f}", left - 4, f"{y(0) + 4:.1f}",
                             left - 4, f"{y(top_value) + 4:.1f}", f"{top_value:g}"))
    for name, edge in edges:
        parts.append(format_html(
            '<line class="edge" x1="{}" y1="{}" x2="{}" y2="{}"><title>{}</title></line>'
            '<text class="edge-label" x="{}" y="{}">{}</text>',
            left, f"{y(edge):.1f}", width - right, f"{y(edge):.1f}", f"{name} from {edge:g}",
            width - right + 4, f"{y(edge) + 4:.1f}", f"{name} ≥ {edge:g}" if edge else name))
    segment: list[str] = []
    segments = [segment]
    for i, point in enumerate(points):
        if point.value is None:
            segment = []
            segments.append(segment)
            continue
        segment.append(f"{left + i * step:.1f},{y(point.value):.1f}")
    for run in segments:
        if len(run) > 1:
            parts.append(format_html('<polyline class="line" points="{}"/>', " ".join(run)))
    for i, point in enumerate(points):
        x = left + i * step
        if point.value is not None:
            parts.append(format_html('<circle class="dot" cx="{}" cy="{}" r="2.5"><title>{}</title></circle>',
                                     f"{x:.1f}", f"{y(point.value):.1f}", point.title))
        if i % labels_every == 0 or i == len(points) - 1:
            parts.append(format_html('<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                                     f"{x:.1f}", height - 8, point.x_label))
    parts.append(mark_safe("</svg>"))  # noqa: S308 - a constant closing tag
    return mark_safe("".join(parts))  # noqa: S308 - every part above was built by format_html (escaped)


def roc_curve(points: Sequence[tuple[float, float]], *, aria_label: str, title: str, size: int = 320) -> SafeString:
    """An ROC curve: false positive rate across, true positive rate up, both 0-1, with the diagonal of a coin
    toss dashed; ``title`` is the curve's tooltip (e.g. its AUC)."""
    pad, bottom = 34, 30
    plot = size - pad - 8

    def xy(fpr: float, tpr: float) -> str:
        return f"{pad + plot * fpr:.1f},{8 + plot * (1 - tpr):.1f}"

    ticks = format_html_join("", '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                             '<text class="axis" x="{}" y="{}" text-anchor="end">{}</text>'
                             '<text class="axis" x="{}" y="{}" text-anchor="middle">{}</text>',
                             ((pad, f"{8 + plot * (1 - t):.1f}", pad + plot, f"{8 + plot * (1 - t):.1f}",
                               pad - 4, f"{12 + plot * (1 - t):.1f}", t, f"{pad + plot * t:.1f}", 8 + plot + 14, t)
                              for t in (0, 0.5, 1)))
    return format_html(
        '<svg class="chart roc" viewBox="0 0 {} {}" width="{}" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg">{}'
        '<line class="ref" x1="{}" y1="{}" x2="{}" y2="{}"><title>a coin toss (AUC 0.5)</title></line>'
        '<polyline class="curve" points="{}"><title>{}</title></polyline>'
        '<text class="axis" x="{}" y="{}" text-anchor="middle">false positive rate (renewals flagged)</text>'
        '</svg>',
        size, size + bottom - 8, size, aria_label, ticks, pad, 8 + plot, pad + plot, 8,
        " ".join(xy(f, t) for f, t in points), title, pad + plot / 2, size + bottom - 12)
