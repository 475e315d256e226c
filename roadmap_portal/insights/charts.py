"""Server-side SVG charts: plain strings, every text escaped, readable without JavaScript.

Texts are 12 units high or more; pages never draw a chart narrower than its own width
(it scrolls in its card instead), so no label is smaller than 12 px on any screen.

The same functions draw the dashboards and the PDF reports (WeasyPrint renders inline SVG).
"""

from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import mark_safe

FONT = "DejaVu Sans, Arial, sans-serif"
BAR = "#2f6690"
BAR_REPORTED = "#81a4cd"
TARGET = "#d1495b"
MISSING = "#adb5bd"
GRID = "#dee2e6"
TEXT = "#343a40"


def _num(value):
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x, y, content, *, size=12, anchor="middle", fill=TEXT, weight="normal"):
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-family="{FONT}" font-size="{size}" '
        f'text-anchor="{anchor}" fill="{fill}" font-weight="{weight}">{escape(content)}</text>'
    )


def _svg(width, height, title, body):
    return mark_safe(  # noqa: S308 - every text in body went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'class="portal-chart">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _nice_ceiling(value):
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return Decimal(1)
    value = Decimal(value)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        ceiling = magnitude * Decimal(str(step))
        if ceiling >= value:
            return ceiling
    return magnitude * 10


def volume_chart(
    years,
    *,
    title,
    format_value,
    labels,
    width=640,
    height=260,
):
    """Bars of the volume per year against a line of the targets.

    ``years``: items with ``year``, ``amount``, ``target`` and ``source`` (None amounts are
    drawn as a grey "no data" mark, never as a zero bar). ``labels``: a dict with the legend
    texts ``volume``, ``reported``, ``target``, ``missing``. ``format_value`` formats the
    axis labels.
    """
    years = list(years)
    left, right, top, bottom = 76, 12, 28, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [y.amount for y in years if y.amount is not None]
    values += [y.target for y in years if y.target is not None]
    ceiling = _nice_ceiling(max(values) if values else 0)
    body = [_text(left, 16, title, size=14, anchor="start", weight="bold")]
    for i in range(5):
        value = ceiling * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, format_value(value), anchor="end"))
    if not years:
        body.append(_text(left + plot_w / 2, top + plot_h / 2, labels["missing"], fill=MISSING))
        return _svg(width, height, title, body)
    slot = plot_w / len(years)
    bar_w = max(4, slot * 0.6)
    points = []
    for index, item in enumerate(years):
        cx = left + slot * index + slot / 2
        base = top + plot_h
        if item.amount is None:
            body.append(
                f'<rect x="{_num(cx - bar_w / 2)}" y="{_num(base - 3)}" width="{_num(bar_w)}" '
                f'height="3" fill="{MISSING}"><title>{escape(str(item.year))}: '
                f"{escape(labels['missing'])}</title></rect>"
            )
            body.append(_text(cx, base - 8, "?", fill=MISSING))
        else:
            bar_h = float(plot_h * item.amount / ceiling)
            colour = BAR_REPORTED if item.source == "reported" else BAR
            body.append(
                f'<rect x="{_num(cx - bar_w / 2)}" y="{_num(base - bar_h)}" '
                f'width="{_num(bar_w)}" height="{_num(max(bar_h, 0.5))}" fill="{colour}">'
                f"<title>{escape(str(item.year))}: {escape(format_value(item.amount))}</title>"
                "</rect>"
            )
        if item.target is not None:
            points.append((cx, base - float(plot_h * item.target / ceiling)))
        body.append(_text(cx, base + 16, str(item.year)))
    if points:
        path = " ".join(f"{_num(x)},{_num(y)}" for x, y in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{TARGET}" stroke-width="2"/>')
        body += [
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="3" fill="{TARGET}"/>' for x, y in points
        ]
    legend_y = height - 12
    legend = [
        (BAR, labels["volume"], "rect"),
        (BAR_REPORTED, labels["reported"], "rect"),
        (TARGET, labels["target"], "line"),
        (MISSING, labels["missing"], "rect"),
    ]
    x = left
    for colour, text, kind in legend:
        if kind == "rect":
            body.append(
                f'<rect x="{x}" y="{legend_y - 9}" width="10" height="10" fill="{colour}"/>'
            )
        else:
            body.append(
                f'<line x1="{x}" y1="{legend_y - 4}" x2="{x + 10}" y2="{legend_y - 4}" '
                f'stroke="{colour}" stroke-width="2"/>'
            )
        body.append(_text(x + 14, legend_y, text, anchor="start"))
        x += 24 + 7.4 * len(str(text))
    return _svg(width, height, title, body)


def text_width(text: str, size: float = 12, *, bold: bool = False) -> float:
    """The width of ``text`` in DejaVu Sans at ``size`` units, rounded up (by about a tenth
    over the font's own metrics), so that a text placed by it is never cut at the chart's
    edge: digits 0.64 em, spaces, stops and narrow letters 0.4, wide letters (Ж, Ш, Щ, Ю,
    M, W, m, w...) 1.0, other capitals 0.8, other letters 0.66."""
    em = 0.0
    for char in str(text):
        if char.isdigit():
            em += 0.64
        elif char == "№":
            em += 1.6
        elif char in " .,:;'|!iljtfr":
            em += 0.4
        elif char in "()[]-–«»":
            em += 0.6
        elif char in "%…—×&ЖШЩЮЫМФЪжшщюымфMWmw":
            em += 1.0
        elif char.isupper():
            em += 0.8
        else:
            em += 0.66
    return em * size * (1.1 if bold else 1.0)


def _fit(text: str, room: float, size: float = 12) -> str:
    """``text``, cut with an ellipsis to fit ``room`` units."""
    text = str(text)
    if text_width(text, size) <= room:
        return text
    while text and text_width(text + "…", size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def horizontal_bars(items, *, title, format_value, width=640, bar_height=20, colour=BAR):
    """Labelled horizontal bars: ``items`` are ``(label, value, note)`` tuples.

    The label column is as wide as the longest label (at most 40 % of the chart; a longer
    label is cut with an ellipsis, its full text stays in the bar's tooltip) and the room
    right of the bars as wide as the longest value text, so nothing is cut at an edge in
    any language."""
    items = list(items)
    top, gap = 28, 8
    texts = [format_value(value) + (f" ({note})" if note else "") for _, value, note in items]
    right = max((text_width(t) for t in texts), default=0) + gap
    label_w = min(max((text_width(label) for label, _, _ in items), default=0), width * 0.4)
    label_w = max(label_w, 40) + gap
    height = top + max(1, len(items)) * (bar_height + 8) + 8
    body = [_text(0, 16, _fit(title, width, 14 * 1.1), size=14, anchor="start", weight="bold")]
    biggest = max((v for _, v, _ in items if v), default=0) or 1
    plot_w = max(width - label_w - right, 1)
    for index, (label, value, _note) in enumerate(items):
        y = top + index * (bar_height + 8)
        short = _fit(label, label_w - gap)
        body.append(_text(label_w - gap, y + bar_height * 0.7, short, anchor="end"))
        bar_w = plot_w * float(Decimal(value or 0) / Decimal(biggest))
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{_num(max(bar_w, 1))}" height="{bar_height}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(format_value(value))}</title>'
            "</rect>"
        )
        text = texts[index]
        body.append(_text(label_w + bar_w + 6, y + bar_height * 0.7, text, anchor="start"))
    return _svg(width, height, title, body)


def funnel_chart(stages, *, title, width=640, format_count=str):
    """The offer funnel: ``stages`` are items with ``label``, ``count`` and ``conversion``
    (percent from the previous stage, or None)."""
    items = [
        (
            str(stage["label"]),
            stage["count"],
            "" if stage["conversion"] is None else f"{stage['conversion']}%",
        )
        for stage in stages
    ]
    return horizontal_bars(items, title=title, format_value=format_count, width=width)
