"""Member admin: search, cheap filters, activity on the change page, tier changes only via the audit trail."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join

from members.admin.base import ScalableAdmin
from members.core.admin import member_actions
from members.core.admin.filters import CountryFilter
from members.core.selectors.member_activity import (
    member_recent_orders,
    member_recent_reviews,
    member_review_count,
    member_tier_history,
)
from members.core.selectors.members import MemberLifetimeStats, member_lifetime_stats
from members.models import Member, Tier

# Rows of orders / reviews / tier changes shown on a member's page; the rest are one link away.
RECENT_ROWS = 20


def _when(value) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "-"


def _changelist_link(model_name: str, member_id: int, text: str) -> str:
    url = reverse(f"admin:members_{model_name}_changelist")
    return format_html('<a href="{}?member__id__exact={}">{}</a>', url, member_id, text)


def _table(headers: tuple[str, ...], row_format: str, rows) -> str:
    head = format_html_join("", "<th>{}</th>", ((header,) for header in headers))
    body = format_html_join("", row_format, rows)
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


@admin.register(Member)
class MemberAdmin(ScalableAdmin):
    list_display = ("external_id", "name", "email", "tier", "status", "country", "joined_at")
    list_display_links = ("external_id", "name")
    list_select_related = ("tier",)
    list_filter = ("tier", "status", CountryFilter, ("joined_at", admin.DateFieldListFilter))
    # Every OR arm must be indexable or Postgres falls back to a full scan: "=external_id" would be
    # UPPER(external_id) = ..., which no index covers, so external_id matches exactly (unique btree) and
    # name/email substrings use the trigram indexes of migration 0003 (UPPER(col) LIKE ...).
    search_fields = ("external_id__exact", "email", "name")
    search_help_text = "Exact external id, or part of a name or email address."
    # Only indexed orderings: sorting 1M rows by name or email on each page would be a full sort.
    sortable_by = ("external_id", "joined_at")
    raw_id_fields = ("segment",)
    actions = (member_actions.change_tier, member_actions.export_csv)
    readonly_fields = (
        "tier",
        "lifetime_spend",
        "order_count",
        "last_order_at",
        "recent_orders",
        "recent_reviews",
        "tier_history",
        "created_at",
        "updated_at",
    )
    _identity = ("Member", {"fields": ("external_id", "name", "email", "joined_at", "status")})
    _profile = ("Profile", {"fields": ("country", "city", "birth_year", "gender", "marketing_consent", "segment")})

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            # A new member starts in the entry tier (see save_model) and has no activity yet.
            return [self._identity, self._profile]
        return [
            self._identity,
            (
                "Tier",
                {
                    "fields": ("tier", "tier_history"),
                    "description": "Change tiers with the “Change tier” action on the member list: "
                    "every change needs a reason and is kept in the history below.",
                },
            ),
            ("Activity", {"fields": ("lifetime_spend", "order_count", "last_order_at", "recent_orders",
                                     "recent_reviews")}),
            self._profile,
            ("Record", {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
        ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("tier")

    def save_model(self, request, obj, form, change):
        if not change:
            # Same rule as the CSV import: new members join the lowest-rank tier.
            obj.tier = Tier.objects.order_by("rank").first()
        super().save_model(request, obj, form, change)

    def has_change_tier_permission(self, request) -> bool:
        """Moving members writes TierChange rows, so it needs both permissions."""
        return request.user.has_perms(["members.change_member", "members.add_tierchange"])

    # Activity (read-only). One aggregate query serves the three figures.
    def _stats(self, obj: Member) -> MemberLifetimeStats:
        if not hasattr(obj, "_lifetime_stats"):
            obj._lifetime_stats = member_lifetime_stats(member_id=obj.pk)
        return obj._lifetime_stats

    @admin.display(description="Lifetime spend")
    def lifetime_spend(self, obj: Member) -> str:
        return f"{self._stats(obj).lifetime_spend:,.2f}"

    @admin.display(description="Orders")
    def order_count(self, obj: Member) -> int:
        return self._stats(obj).order_count

    @admin.display(description="Last order")
    def last_order_at(self, obj: Member) -> str:
        return _when(self._stats(obj).last_order_at)

    @admin.display(description="Recent orders")
    def recent_orders(self, obj: Member) -> str:
        total = self._stats(obj).order_count
        if not total:
            return "No orders."
        orders = member_recent_orders(member_id=obj.pk, limit=RECENT_ROWS)
        table = _table(
            ("Order", "Placed", "Status", "Total"),
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{} {}</td></tr>',
            (
                (reverse("admin:members_order_change", args=[o.pk]), o.external_id, _when(o.placed_at),
                 o.get_status_display(), o.total, o.currency)
                for o in orders
            ),
        )
        return format_html("{}{}", table, _changelist_link("order", obj.pk, f"See all {total} orders"))

    @admin.display(description="Recent reviews")
    def recent_reviews(self, obj: Member) -> str:
        total = member_review_count(member_id=obj.pk)
        if not total:
            return "No reviews."
        reviews = member_recent_reviews(member_id=obj.pk, limit=RECENT_ROWS)
        table = _table(
            ("Review", "Product", "Rating", "Sentiment", "Written"),
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
            (
                (reverse("admin:members_review_change", args=[r.pk]), r.title or r.external_id, r.product.title,
                 "★" * r.rating, r.get_sentiment_display() or "-", _when(r.created_at))
                for r in reviews
            ),
        )
        return format_html("{}{}", table, _changelist_link("review", obj.pk, f"See all {total} reviews"))

    @admin.display(description="Tier history")
    def tier_history(self, obj: Member) -> str:
        # One row more than shown tells whether a "see all" link is needed, without a COUNT.
        changes = list(member_tier_history(member_id=obj.pk, limit=RECENT_ROWS + 1))
        if not changes:
            return "No tier changes yet."
        table = _table(
            ("When", "From", "To", "Status", "Source", "By", "Reason"),
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (_when(c.decided_at or c.created_at), c.from_tier.name if c.from_tier else "-", c.to_tier.name,
                 c.get_status_display(), c.get_source_display(), c.decided_by or "-", c.reason)
                for c in changes[:RECENT_ROWS]
            ),
        )
        if len(changes) > RECENT_ROWS:
            return format_html("{}{}", table, _changelist_link("tierchange", obj.pk, "See all tier changes"))
        return table
