"""Inline SVG and markup for the review-intelligence pages: loss curves, weekly sentiment bars and
entity highlighting. Same rules as web_charts: server-rendered, escaped, no JavaScript, no CDN."""

from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

LOSS_WIDTH, LOSS_HEIGHT = 240, 60
WEEK_WIDTH, WEEK_HEIGHT = 600, 140
SENTIMENT_ORDER = ("negative", "neutral", "positive")


@register.simple_tag
def loss_curve(history: Sequence[dict], width: int = LOSS_WIDTH, height: int = LOSS_HEIGHT) -> SafeString:
    """The training loss against the step as a polyline (points without "loss" are evaluations
    and are skipped); empty until there are two points."""
    points = [(float(p["step"]), float(p["loss"])) for p in history or [] if "loss" in p]
    if len(points) < 2:
        return mark_safe("")
    first_step, last_step = points[0][0], points[-1][0]
    low, high = min(loss for _, loss in points), max(loss for _, loss in points)
    span_x, span_y = (last_step - first_step) or 1.0, (high - low) or 1.0
    coords = " ".join(
        f"{(step - first_step) / span_x * (width - 4) + 2:.1f},{height - 2 - (loss - low) / span_y * (height - 4):.1f}"
        for step, loss in points
    )
    label = f"Training loss from {points[0][1]:.3f} to {points[-1][1]:.3f} over {int(last_step)} steps"
    return format_html(
        '<svg class="chart chart-loss" viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">'
        '<title>{}</title><polyline points="{}" fill="none" stroke="currentColor" stroke-width="1.5"/></svg>',
        width, height, width, height, label, label, coords,
    )


@register.simple_tag
def sentiment_weeks_chart(weeks: Sequence[dict], label: str = "") -> SafeString:
    """Stacked bars per week (negative at the bottom), scaled to the busiest week."""
    if not weeks:
        return mark_safe("")
    peak = max(sum(week.get(s, 0) for s in SENTIMENT_ORDER) for week in weeks) or 1
    slot = WEEK_WIDTH / len(weeks)
    bar = slot * 0.8
    rects = []
    for index, week in enumerate(weeks):
        bottom = float(WEEK_HEIGHT)
        for sentiment in SENTIMENT_ORDER:
            count = week.get(sentiment, 0)
            if not count:
                continue
            height = count / peak * (WEEK_HEIGHT - 2)
            bottom -= height
            rects.append((f"{index * slot + (slot - bar) / 2:.2f}", f"{bottom:.2f}", f"{bar:.2f}", f"{height:.2f}",
                          f"bar bar-{sentiment}", f"week of {week['week']}: {count:,} {sentiment}"))
    body = format_html_join(
        "", '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>', rects
    )
    return format_html(
        '<svg class="chart chart-bars" viewBox="0 0 {} {}" preserveAspectRatio="none" role="img" '
        'aria-label="{}">{}</svg>',
        WEEK_WIDTH, WEEK_HEIGHT, label, body,
    )


@register.simple_tag
def highlight_entities(text: str, entities: Sequence[dict] | None) -> SafeString:
    """`text` escaped, with each entity span wrapped in <mark>. Spans whose offsets do not match
    the text (edited since scoring), overlap an earlier span or are malformed are left unmarked."""
    text = text or ""
    parts: list[str] = []
    position = 0
    for entity in sorted(entities or [], key=lambda e: (e.get("start", -1), e.get("end", -1))):
        start, end = entity.get("start"), entity.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not (position <= start < end <= len(text)):
            continue
        if entity.get("text") is not None and text[start:end] != entity["text"]:
            continue
        label = str(entity.get("label", ""))
        parts.append(format_html("{}", text[position:start]))
        parts.append(format_html('<mark class="entity entity-{}" title="{}">{}</mark>',
                                 label.lower(), label, text[start:end]))
        position = end
    parts.append(format_html("{}", text[position:]))
    return mark_safe("".join(parts))  # every part above went through format_html (escaped)


@register.filter
def percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


@register.filter
def get_item(mapping: dict, key: str):
    return (mapping or {}).get(key)


@register.filter
def margin(comparison: dict | None) -> str:
    """A paired bootstrap comparison as '+0.031 (95% CI +0.008 to +0.055)'; '–' when absent."""
    if not comparison:
        return "–"
    return (f"{comparison['delta']:+.3f} ({comparison.get('confidence', 0.95):.0%} CI "
            f"{comparison['low']:+.3f} to {comparison['high']:+.3f})")


@register.filter
def duration(seconds: float | None) -> str:
    """'4 min 05 s' / '35 s'; '' when unknown."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
