"""Hand-built inline SVG charts for the HTML report: no script, no network, no plotting library.

Every label is escaped; coordinates are written with fixed precision so the same report gives the
same bytes.
"""

from __future__ import annotations

import math
from html import escape

from toolkit.neutralise import one_line
from toolkit.report.number_format import number, percent
from toolkit.report.stats import Share

WIDTH, HEIGHT = 720, 300
MARGIN = {"left": 64, "right": 24, "top": 36, "bottom": 48}
COLOURS = {"live": "#c0392b", "gone": "#2e7d32", "ended": "#7f8c8d", "unknown": "#d4ac0d",
           "first capture": "#1f4e79", "notice": "#c0392b", "total": "#1f4e79", "live items": "#c0392b"}
FONT = 'font-family="Helvetica, Arial, sans-serif" font-size="12"'


def _t(text: str) -> str:
    """A label escaped for SVG text and attributes, bidi overrides and controls made visible."""
    return escape(one_line(str(text)), quote=True)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _frame(title: str, body: list[str], height: int = HEIGHT) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
            f'aria-label="{_t(title)}" {FONT}><title>{_t(title)}</title>'
            f'<text x="{MARGIN["left"]}" y="20" font-weight="bold">{_t(title)}</text>'
            + "".join(body) + "</svg>")


def _legend(names: list[str], y: float) -> list[str]:
    out, x = [], MARGIN["left"]
    for name in names:
        out.append(f'<rect x="{_f(x)}" y="{_f(y - 10)}" width="12" height="12" fill="{COLOURS[name]}"/>'
                   f'<text x="{_f(x + 16)}" y="{_f(y)}">{_t(name)}</text>')
        x += 24 + 7 * len(name)
    return out


def _y_axis(top: float, bottom: float, ticks: list[tuple[float, str]]) -> list[str]:
    out = []
    for value, label in ticks:
        y = bottom - value * (bottom - top)
        out.append(f'<line x1="{MARGIN["left"]}" x2="{WIDTH - MARGIN["right"]}" y1="{_f(y)}" y2="{_f(y)}" '
                   f'stroke="#ddd"/><text x="{MARGIN["left"] - 6}" y="{_f(y + 4)}" text-anchor="end">{_t(label)}</text>')
    return out


def waves(title: str, data: list[tuple[str, int, int, int, int]]) -> str:
    """Stacked bars per wave: live, gone, ended, unknown (including not checked)."""
    top, bottom = MARGIN["top"] + 10, HEIGHT - MARGIN["bottom"]
    span = WIDTH - MARGIN["left"] - MARGIN["right"]
    body = _y_axis(top, bottom, [(v / 4, percent(v / 4)) for v in range(5)])
    slot = span / max(len(data), 1)
    bar = min(80.0, slot * 0.6)
    for i, (name, *values) in enumerate(data):
        total = sum(values) or 1
        x = MARGIN["left"] + slot * i + (slot - bar) / 2
        y = bottom
        for family, value in zip(("live", "gone", "ended", "unknown"), values, strict=True):
            h = value / total * (bottom - top)
            if value:
                body.append(f'<rect x="{_f(x)}" y="{_f(y - h)}" width="{_f(bar)}" height="{_f(h)}" '
                            f'fill="{COLOURS[family]}"><title>{_t(f"{name}: {family} {value}")}</title></rect>')
            y -= h
        body.append(f'<text x="{_f(x + bar / 2)}" y="{_f(bottom + 16)}" text-anchor="middle">{_t(name)}</text>')
    body += _legend(["live", "gone", "ended", "unknown"], HEIGHT - 10)
    return _frame(title, body)


def groups(title: str, data: list[tuple[str, Share]]) -> str:
    """Horizontal bars: share gone per group, with its 95% interval as a whisker."""
    row, left = 22, 260
    height = MARGIN["top"] + 20 + row * max(len(data), 1) + 30
    span = WIDTH - left - MARGIN["right"] - 40
    body = []
    for v in range(5):
        x = left + span * v / 4
        body.append(f'<line x1="{_f(x)}" x2="{_f(x)}" y1="{MARGIN["top"]}" y2="{height - 30}" stroke="#ddd"/>'
                    f'<text x="{_f(x)}" y="{height - 14}" text-anchor="middle">{percent(v / 4)}</text>')
    for i, (label, share) in enumerate(data):
        y = MARGIN["top"] + 10 + row * i
        body.append(f'<text x="{left - 8}" y="{_f(y + 12)}" text-anchor="end">{_t(_short(label, 38))}</text>')
        body.append(f'<rect x="{left}" y="{_f(y + 2)}" width="{_f(span * (share.p or 0))}" height="{row - 8}" '
                    f'fill="{COLOURS["gone"]}"><title>{_t(f"{label}: {share.k} of {share.n} gone")}</title></rect>')
        if share.low is not None and share.high is not None:
            mid = y + 2 + (row - 8) / 2
            body.append(f'<line x1="{_f(left + span * share.low)}" x2="{_f(left + span * share.high)}" '
                        f'y1="{_f(mid)}" y2="{_f(mid)}" stroke="#000" stroke-width="1.5"/>')
        body.append(f'<text x="{_f(left + span + 6)}" y="{_f(y + 12)}">{share.k}/{share.n}</text>')
    return _frame(title, body, height)


def survival(title: str, curves: dict[str, list[tuple[float, float]]]) -> str:
    """Step curves: share still live against days since the origin."""
    top, bottom = MARGIN["top"] + 10, HEIGHT - MARGIN["bottom"]
    span = WIDTH - MARGIN["left"] - MARGIN["right"]
    horizon = max((t for curve in curves.values() for t, _ in curve), default=1.0) or 1.0
    horizon = max(5.0, math.ceil(horizon * 1.05 / 5) * 5)  # ticks at whole days
    body = _y_axis(top, bottom, [(v / 4, percent(v / 4)) for v in range(5)])
    for v in range(6):
        x = MARGIN["left"] + span * v / 5
        body.append(f'<text x="{_f(x)}" y="{_f(bottom + 16)}" text-anchor="middle">{horizon * v / 5:.0f}</text>')
    body.append(f'<text x="{_f(MARGIN["left"] + span / 2)}" y="{_f(bottom + 32)}" text-anchor="middle">days</text>')

    def point(t: float, s: float) -> str:
        return f"{_f(MARGIN['left'] + span * t / horizon)},{_f(bottom - s * (bottom - top))}"

    for name, curve in curves.items():
        path, last = [], 1.0
        for t, s in curve:
            path += [point(t, last), point(t, s)]
            last = s
        path.append(point(horizon, last))
        body.append(f'<polyline fill="none" stroke="{COLOURS.get(name, "#000")}" stroke-width="2" '
                    f'points="{" ".join(path)}"><title>{_t(name)}</title></polyline>')
    body += _legend([n for n in curves if n in COLOURS], HEIGHT - 2)
    return _frame(title, body)


def audience(title: str, data: list[tuple[str, int, int]]) -> str:
    """Grouped bars per wave: the cohort's audience and the audience of the items still live."""
    top, bottom = MARGIN["top"] + 10, HEIGHT - MARGIN["bottom"]
    span = WIDTH - MARGIN["left"] - MARGIN["right"]
    peak = max((max(t, live) for _, t, live in data), default=1) or 1
    body = _y_axis(top, bottom, [(v / 4, number(peak * v / 4)) for v in range(5)])
    slot = span / max(len(data), 1)
    bar = min(40.0, slot * 0.3)
    for i, (name, total, live) in enumerate(data):
        x = MARGIN["left"] + slot * i + slot / 2 - bar
        for j, (series, value) in enumerate((("total", total), ("live items", live))):
            h = value / peak * (bottom - top)
            body.append(f'<rect x="{_f(x + j * bar)}" y="{_f(bottom - h)}" width="{_f(bar)}" height="{_f(h)}" '
                        f'fill="{COLOURS[series]}"><title>{_t(f"{name}: {series} {value}")}</title></rect>')
        body.append(f'<text x="{_f(x + bar)}" y="{_f(bottom + 16)}" text-anchor="middle">{_t(name)}</text>')
    body += _legend(["total", "live items"], HEIGHT - 10)
    return _frame(title, body)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


DRAW = {"waves": waves, "groups": groups, "survival": survival, "audience": audience}


def draw(kind: str, title: str, data) -> str:
    """The SVG for a Chart block."""
    return DRAW[kind](title, data)
