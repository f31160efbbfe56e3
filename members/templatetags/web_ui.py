"""Small pieces of the web app's layout: the navigation, rating stars, change badges and money."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from django import template
from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()


@dataclass(frozen=True)
class NavItem:
    label: str  # lazily translated: rendered in the request's language
    url_name: str | None  # None: the page arrives with later work and is shown disabled
    arrives_with: str = ""


# Every page of the merchandiser app, in menu order. Disabled entries name the work that brings them.
NAV_ITEMS = (
    NavItem(gettext_lazy("Dashboard"), "web:dashboard"),
    NavItem(gettext_lazy("Segments"), "web:segments"),
    NavItem(gettext_lazy("Tier changes"), "web:tier-changes"),
    NavItem(gettext_lazy("Tiers"), "web:tiers"),
    NavItem(gettext_lazy("Recommendations"), "web:recommendations"),
    NavItem(gettext_lazy("Campaigns"), "web:campaigns"),
    NavItem(gettext_lazy("Reviews"), "web:reviews"),
    NavItem(gettext_lazy("Models"), "web:models"),
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
    out_of = _("%(rating)d out of 5") % {"rating": filled}
    return format_html(
        '<span class="stars" title="{}" aria-label="{}">'
        '<span class="stars-on">{}</span><span class="stars-off">{}</span></span>',
        out_of, out_of, "★" * filled, "★" * (5 - filled),
    )


@register.simple_tag
def change_badge(pct: float | None) -> str:
    """A coloured "+12.3%" / "−4.0%" badge; "no previous data" when there is nothing to compare."""
    if pct is None:
        return format_html('<span class="badge badge-muted">{}</span>', _("no earlier data"))
    if abs(pct) < 0.05:
        return format_html('<span class="badge badge-muted">{}</span>', "±0.0%")
    css = "badge-up" if pct > 0 else "badge-down"
    sign = "+" if pct > 0 else "−"
    return format_html('<span class="badge {}">{}{}%</span>', css, sign, f"{abs(pct):,.1f}")


# Symbols for the currencies shops here sell in; any other code is written out ("SEK 1,234.00").
CURRENCY_SYMBOLS = {"USD": "$", "CNY": "¥", "EUR": "€", "GBP": "£", "HKD": "HK$"}
CENT = Decimal("0.01")


@register.filter
def money(value, currency: str | None = None) -> str:
    """An amount for people: "$1,234.50" (en), "¥1,234.50" (zh-hans with SHOP_CURRENCY=CNY).

    The one place the web app formats money. The currency is the shop's (settings.SHOP_CURRENCY)
    unless a row carries its own (orders do: `{{ c.revenue|money:c.currency }}`); the digits follow
    the active language's number format. "—" when there is no amount.
    """
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return "—"
    code = (currency or settings.SHOP_CURRENCY).upper()
    digits = formats.number_format(abs(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(code)
    text = f"{symbol}{digits}" if symbol else f"{code} {digits}"
    return f"-{text}" if amount < 0 else text


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
