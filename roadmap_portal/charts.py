"""Server-side SVG charts: plain strings, every text escaped, readable without JavaScript.

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


def _text(x, y, content, *, size=11, anchor="middle", fill=TEXT, weight="normal"):
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
    left, right, top, bottom = 64, 12, 28, 52
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [y.amount for y in years if y.amount is not None]
    values += [y.target for y in years if y.target is not None]
    ceiling = _nice_ceiling(max(values) if values else 0)
    body = [_text(left, 16, title, size=13, anchor="start", weight="bold")]
    for i in range(5):
        value = ceiling * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{_num(y)}" x2="{width - right}" y2="{_num(y)}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, format_value(value), size=10, anchor="end"))
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
            body.append(_text(cx, base - 8, "?", size=10, fill=MISSING))
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
        body.append(_text(cx, base + 16, str(item.year), size=10))
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
        body.append(_text(x + 14, legend_y, text, size=10, anchor="start"))
        x += 24 + 6.2 * len(str(text))
    return _svg(width, height, title, body)


def horizontal_bars(items, *, title, format_value, width=640, bar_height=20, colour=BAR):
    """Labelled horizontal bars: ``items`` are ``(label, value, note)`` tuples."""
    items = list(items)
    label_w, right, top = 220, 120, 28
    height = top + max(1, len(items)) * (bar_height + 8) + 8
    body = [_text(0, 16, title, size=13, anchor="start", weight="bold")]
    biggest = max((v for _, v, _ in items if v), default=0) or 1
    plot_w = width - label_w - right
    for index, (label, value, note) in enumerate(items):
        y = top + index * (bar_height + 8)
        short = label if len(label) <= 34 else label[:33] + "…"
        body.append(_text(label_w - 8, y + bar_height * 0.7, short, size=11, anchor="end"))
        bar_w = float(plot_w * Decimal(value or 0) / Decimal(biggest))
        body.append(
            f'<rect x="{label_w}" y="{y}" width="{_num(max(bar_w, 1))}" height="{bar_height}" '
            f'fill="{colour}"><title>{escape(label)}: {escape(format_value(value))}</title>'
            "</rect>"
        )
        text = format_value(value) + (f" ({note})" if note else "")
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
