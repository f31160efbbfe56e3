"""Small pieces of the web app's layout: the navigation, rating stars and change badges."""

from dataclasses import dataclass
from functools import cache

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str | None  # None: the page arrives with later work and is shown disabled
    arrives_with: str = ""


# Every page of the merchandiser app, in menu order. Disabled entries name the work that brings them.
NAV_ITEMS = (
    NavItem("Dashboard", "web:dashboard"),
    NavItem("Segments", "web:segments"),
    NavItem("Tier changes", "web:tier-changes"),
    NavItem("Tiers", "web:tiers"),
    NavItem("Recommendations", "web:recommendations"),
    NavItem("Campaigns", "web:campaigns"),
    NavItem("Reviews", "web:reviews"),
    NavItem("Models", "web:models"),
)


@register.inclusion_tag("web/includes/nav.html", takes_context=True)
def web_nav(context) -> dict:
    """The menu with the current page marked; matches on the resolved URL name, not the path."""
    request = context["request"]
    match = getattr(request, "resolver_match", None)
    current = f"{match.namespace}:{match.url_name}" if match else ""
    items = []
    for item in NAV_ITEMS:
        href = reverse(item.url_name) if item.url_name else None
        is_current = item.url_name == current or (
            item.url_name == "web:dashboard" and current.startswith("web:dashboard-")
        )
        items.append({"label": item.label, "href": href, "current": is_current, "arrives_with": item.arrives_with})
    return {"items": items}


@register.simple_tag
def rating_stars(rating: int) -> str:
    """Five stars, `rating` of them filled, with the number for screen readers and copy/paste."""
    filled = max(0, min(5, int(rating)))
    return format_html(
        '<span class="stars" title="{} out of 5" aria-label="{} out of 5">'
        '<span class="stars-on">{}</span><span class="stars-off">{}</span></span>',
        filled, filled, "★" * filled, "★" * (5 - filled),
    )


@register.simple_tag
def change_badge(pct: float | None) -> str:
    """A coloured "+12.3%" / "−4.0%" badge; "no previous data" when there is nothing to compare."""
    if pct is None:
        return format_html('<span class="badge badge-muted">{}</span>', "no earlier data")
    if abs(pct) < 0.05:
        return format_html('<span class="badge badge-muted">{}</span>', "±0.0%")
    css = "badge-up" if pct > 0 else "badge-down"
    sign = "+" if pct > 0 else "−"
    return format_html('<span class="badge {}">{}{}%</span>', css, sign, f"{abs(pct):,.1f}")


@register.filter
def topic_label(topic) -> str:
    """A topic as stored by the review models (a code such as "size_fit", or a dict with a "label"
    or "name"), as people read it: the default topics' names ("Size and fit"), else the code with
    spaces ("gift wrapping" -> "Gift wrapping"). No query: list pages keep their pinned counts."""
    if isinstance(topic, dict):
        return str(topic.get("label") or topic.get("name") or "")
    code = str(topic)
    return _default_topic_names().get(code) or code.replace("_", " ").capitalize()


@cache
def _default_topic_names() -> dict[str, str]:
    from ml.topics import DEFAULT_TOPICS

    return {spec.code: spec.name for spec in DEFAULT_TOPICS}
