"""Formatting for the campaign pages: rates, money intervals and the prediction's method."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from members.templatetags.web_ui import money

register = template.Library()
# Money goes through web_ui's filter (shop currency, locale digits); registered here too so the
# campaign templates that load only campaign_ui can use it.
register.filter("money", money)


@register.filter
def rate(value) -> str:
    """0.0412 -> "4.1 %"; blank when missing."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f} %"


@register.filter
def points(value) -> str:
    """An absolute change of rates: 0.012 -> "+1.2 pp"."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:+.1f} pp"


@register.simple_tag
def interval(effect, key: str, kind: str = "money") -> str:
    """An estimate with its interval from a prediction / result dict: "1,200.00 (800.00 – 1,600.00)"."""
    part = (effect or {}).get(key) or {}
    if "estimate" not in part:
        return "—"
    fmt = {"money": money, "rate": rate, "points": points}[kind]
    # The range on its own line: tables stay narrow and their estimates line up in one column.
    return format_html('<span class="estimate">{}</span> <span class="muted small range">({} – {})</span>',
                       fmt(part["estimate"]), fmt(part["low"]), fmt(part["high"]))


@register.filter
def offer_text(campaign) -> str:
    value = campaign.offer_value
    if campaign.offer_kind == "discount_pct":
        return _("%(value)s %% off") % {"value": f"{value.normalize():f}"}
    if campaign.offer_kind == "bonus_points":
        return _("%(points)s bonus points") % {"points": f"{int(value):,}"}
    return campaign.get_offer_kind_display()


@register.filter
def target_text(campaign) -> str:
    if campaign.target_kind == "segment" and campaign.target_segment:
        return _("Segment: %(name)s") % {"name": campaign.target_segment.name}
    if campaign.target_kind == "tier" and campaign.target_tier:
        return _("Tier: %(name)s") % {"name": campaign.target_tier.name}
    return campaign.get_target_kind_display()


@register.filter
def rationale_summary(text: str) -> str:
    """The first clause of a rationale ("Category affinity: segment Dress lovers spends 41% of
    its money on Dresses, 2.1x the member base's share"): the queue shows it on one line and the
    whole text when the row is expanded."""
    text = (text or "").strip()
    for stop in ("; ", ". "):
        head, sep, _ = text.partition(stop)
        if sep and len(head) >= 20:
            text = head
    return text.rstrip(".;")
