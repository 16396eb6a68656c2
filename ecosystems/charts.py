"""Charts as inline SVG, drawn on the server: no JavaScript, no library, nothing from a CDN, and nothing the page's
Content-Security-Policy forbids (colours are SVG attributes, never style attributes).

Every chart is `role="img"` with a <title> and a <desc> that say what it shows; the page puts the same numbers in a
table next to it. Colours come from the Okabe-Ito palette (readable for most colour-blind people), and each series
is named in a legend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import count

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#6B4C9A", "#7F7F7F")
GRID = "#c9d2dd"
AXIS = "#4a5565"
TEXT = "#1a1f29"
FONT = 'font-family="system-ui, sans-serif"'
WIDTH, HEIGHT = 400, 220
LEFT, RIGHT, TOP, BOTTOM = 52, 10, 12, 30

_ids = count(1)


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int | Decimal | None]  # None: no value for that label (a gap in a line)
    colour: str = PALETTE[0]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _nice_max(value: float, *, integer: bool = False) -> float:
    """A round top for the value axis, so that its four steps are round too (whole numbers for counts)."""
    quarter = max(value, 0) / 4
    if integer:
        quarter = max(quarter, 1)
    if quarter <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(quarter))
    for step in (1, 2, 2.5, 5, 10):
        if integer and step == 2.5 and magnitude < 10:
            continue
        if quarter <= step * magnitude + 1e-9:
            return 4 * step * magnitude
    return 40 * magnitude


def _open(title: str, desc: str, width: int = WIDTH, height: int = HEIGHT, css: str = "chart",
          aspect: str = "xMidYMid meet") -> tuple[str, str]:
    uid = f"chart{next(_ids)}"
    head = (f'<svg class="{css}" role="img" viewBox="0 0 {width} {height}" preserveAspectRatio="{aspect}" '
            f'aria-labelledby="{uid}-t {uid}-d" xmlns="http://www.w3.org/2000/svg" {FONT}>'
            f'<title id="{uid}-t">{escape(title)}</title><desc id="{uid}-d">{escape(desc)}</desc>')
    return head, "</svg>"


def _axes(top_value: float, fmt, labels: list[str]) -> list[str]:
    """Horizontal grid lines with their values, and the category labels under the plot (thinned when crowded)."""
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for i in range(5):
        y = TOP + plot_h - plot_h * i / 4
        value = top_value * i / 4
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}" '
                     f'stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="12" text-anchor="end" fill="{AXIS}">'
                     f'{escape(fmt(value))}</text>')
    n = len(labels)
    step = 1 if n <= 7 else 2 if n <= 14 else 3 if n <= 24 else 6
    slot = (WIDTH - LEFT - RIGHT) / max(n, 1)
    for i, label in enumerate(labels):
        if i % step and i != n - 1:
            continue
        if i != n - 1 and n - 1 - i < step and (n - 1) % step:
            continue  # keep the last label readable instead of crowding it
        x = LEFT + slot * (i + 0.5)
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 10}" font-size="12" text-anchor="middle" fill="{AXIS}">'
                     f'{escape(label)}</text>')
    return parts


def line_chart(*, title: str, desc: str, labels: list[str], series: list[Series], fmt, top: float | None = None,
               integer: bool = False) -> SafeString:
    """One or more lines over the same categories (weeks, months); `fmt` formats the value axis."""
    values = [float(v) for s in series for v in s.values if v is not None]
    top_value = top if top is not None else _nice_max(max(values, default=0), integer=integer)
    head, tail = _open(title, desc)
    parts = [head, *_axes(top_value, fmt, labels)]
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    for s in series:
        points = []
        for i, value in enumerate(s.values):
            if value is None:
                continue
            y = TOP + plot_h - plot_h * min(float(value), top_value) / top_value
            points.append((LEFT + slot * (i + 0.5), y))
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" stroke-width="2.5" '
                         f'stroke-linejoin="round"/>')
        for x, y in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{s.colour}"/>')
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308 - every text is escaped above


def stacked_bars(*, title: str, desc: str, labels: list[str], series: list[Series], fmt, integer: bool = False
                 ) -> SafeString:
    """A bar per category, stacked by series (e.g. registrations per month stacked by ecosystem)."""
    totals = [sum(float(s.values[i] or 0) for s in series) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0), integer=integer)
    head, tail = _open(title, desc)
    parts = [head, *_axes(top_value, fmt, labels)]
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    bar = slot * 0.7
    for i in range(len(labels)):
        base: float = TOP + plot_h
        x = LEFT + slot * i + (slot - bar) / 2
        for s in series:
            value = float(s.values[i] or 0)
            if value <= 0:
                continue
            h = plot_h * value / top_value
            base -= h
            parts.append(f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{s.colour}" '
                         f'stroke="#ffffff" stroke-width="0.5"/>')
    parts.append(tail)
    return mark_safe("".join(parts))  # noqa: S308


def progress_bar(*, title: str, percent: Decimal | None, label: str, goal: str = "") -> SafeString:
    """A bar to 100 % of a target; beyond 100 % it stays full and the label says how far beyond."""
    width, height = 400, 18
    head, tail = _open(title, f"{label} {goal}".strip(), width, height, css="progress", aspect="none")
    share = max(0.0, min(float(percent or 0), 100.0)) / 100
    fill = "#1b7f3b" if share >= 1 else "#0b5cad"
    parts = [head,
             f'<rect x="0" y="3" width="{width}" height="12" fill="#e3e8ef"/>',
             f'<rect x="0" y="3" width="{width * share:.1f}" height="12" fill="{fill}"/>',
             f'<line x1="{width - 1}" x2="{width - 1}" y1="0" y2="{height}" stroke="{AXIS}" stroke-width="2"/>',
             tail]
    return mark_safe("".join(parts))  # noqa: S308


def legend(series: list[Series]) -> SafeString:
    """The series' names with their colour, as an HTML list under the chart."""
    items = format_html_join(
        "", '<li><svg width="14" height="14" aria-hidden="true" focusable="false"><rect width="14" height="14" '
            'rx="2" fill="{}"/></svg> {}</li>', ((s.colour, s.name) for s in series))
    return format_html('<ul class="legend">{}</ul>', items)
