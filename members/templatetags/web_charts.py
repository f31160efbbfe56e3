"""Server-rendered inline SVG charts: the web app's one way of drawing charts (no JS, no CDN).

Each tag takes plain values from a selector and returns escaped SVG markup. Bars carry a
<title> so hovering shows the exact figure; the SVG has role="img" and an aria-label.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from members.templatetags.web_ui import money

register = template.Library()

BAR_CHART_WIDTH = 600
BAR_CHART_HEIGHT = 140
BAR_GAP_RATIO = 0.2  # share of each slot left empty between bars
HBAR_ROW_HEIGHT = 28
HBAR_LABEL_WIDTH = 100
HBAR_VALUE_WIDTH = 90
HBAR_WIDTH = 420


@register.simple_tag
def daily_bar_chart(days: Sequence[tuple[date, Decimal]], unit: str = "", label: str = "") -> SafeString:
    """Vertical bars, one per (day, amount), oldest left; scaled to the largest amount.

    The SVG stretches to its container's width (preserveAspectRatio="none"), so it holds no
    text; the template puts the axis labels around it in HTML.
    """
    count = len(days)
    if count == 0:
        return format_html("")
    peak = max((amount for _, amount in days), default=Decimal(0)) or Decimal(1)
    slot = BAR_CHART_WIDTH / count
    bar_width = slot * (1 - BAR_GAP_RATIO)
    bars = []
    for index, (day, amount) in enumerate(days):
        height = float(amount / peak) * (BAR_CHART_HEIGHT - 2)
        # A quiet day still gets a hairline so the time axis reads as continuous.
        height = max(height, 1.0)
        bars.append((
            f"{index * slot + (slot - bar_width) / 2:.2f}",
            f"{BAR_CHART_HEIGHT - height:.2f}",
            f"{bar_width:.2f}",
            f"{height:.2f}",
            "bar" if amount else "bar bar-empty",
            # With a currency, money's format (symbol, locale digits); else the plain figure.
            f"{day.isoformat()}: {money(amount, unit) if unit else f'{amount:,.2f}'}",
        ))
    rects = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>', bars
    )
    return format_html(
        '<svg class="chart chart-bars" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}">{}</svg>',
        BAR_CHART_WIDTH, BAR_CHART_HEIGHT, label, rects,
    )


@register.simple_tag
def horizontal_bar_chart(rows: Sequence[tuple[str, int]], label: str = "") -> SafeString:
    """One labelled horizontal bar per (name, count), in the given order, scaled to the largest count."""
    if not rows:
        return format_html("")
    peak = max(count for _, count in rows) or 1
    total = sum(count for _, count in rows)
    bar_space = HBAR_WIDTH - HBAR_LABEL_WIDTH - HBAR_VALUE_WIDTH
    parts = []
    for index, (name, count) in enumerate(rows):
        y = index * HBAR_ROW_HEIGHT
        width = max(count / peak * bar_space, 1.0 if count else 0.0)
        share = f"{count / total * 100:.0f}%" if total else "0%"
        parts.append((
            y + HBAR_ROW_HEIGHT / 2, name,
            HBAR_LABEL_WIDTH, y + 5, f"{width:.2f}", HBAR_ROW_HEIGHT - 10, f"{name}: {count:,} ({share})",
            HBAR_LABEL_WIDTH + width + 8, y + HBAR_ROW_HEIGHT / 2, f"{count:,}", share,
        ))
    body = format_html_join(
        "",
        '<text x="0" y="{}" class="chart-label" dominant-baseline="middle">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" rx="3" class="bar"><title>{}</title></rect>'
        '<text x="{}" y="{}" class="chart-value" dominant-baseline="middle">{} <tspan class="chart-share">'
        "({})</tspan></text>",
        parts,
    )
    return format_html(
        '<svg class="chart chart-hbars" viewBox="0 0 {} {}" role="img" aria-label="{}">{}</svg>',
        HBAR_WIDTH, len(rows) * HBAR_ROW_HEIGHT, label, body,
    )


SPARKLINE_WIDTH = 120
SPARKLINE_HEIGHT = 28


@register.simple_tag
def sparkline(points: Sequence[tuple[date, int]], label: str = "") -> SafeString:
    """A small trend line of (day, value) points, oldest left, scaled between the series' min and
    max; a single point draws a dot. The <title> lists the first and last values."""
    if not points:
        return format_html("")
    values = [float(v) for _, v in points]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = SPARKLINE_WIDTH / max(len(values) - 1, 1)
    coords = [(i * step, SPARKLINE_HEIGHT - 2 - (v - low) / span * (SPARKLINE_HEIGHT - 4)) for i, v in enumerate(values)]
    title = f"{points[0][0].isoformat()}: {points[0][1]:,} → {points[-1][0].isoformat()}: {points[-1][1]:,}"
    if len(coords) == 1:
        shape = format_html('<circle cx="{}" cy="{}" r="2" class="spark-dot"/>', SPARKLINE_WIDTH / 2, f"{coords[0][1]:.1f}")
    else:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        shape = format_html('<polyline points="{}" class="spark-line" fill="none"/>', path)
    return format_html(
        '<svg class="chart sparkline" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        "<title>{}</title>{}</svg>",
        SPARKLINE_WIDTH, SPARKLINE_HEIGHT, SPARKLINE_WIDTH, SPARKLINE_HEIGHT, label, title, shape,
    )
