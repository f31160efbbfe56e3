"""Tier ladder and the tier-change audit trail (read-only once decided, never deleted)."""

from django.contrib import admin

from members.admin.base import ScalableAdmin
from members.core.admin.filters import related_id_filter
from members.models import Member, Tier, TierChange, TierChangeStatus


@admin.register(Tier)
class TierAdmin(ScalableAdmin):
    list_display = ("rank", "code", "name", "min_spend", "min_orders", "qualifying_window_days")
    list_display_links = ("code", "name")
    search_fields = ("code", "name")  # for the to_tier autocomplete


@admin.register(TierChange)
class TierChangeAdmin(ScalableAdmin):
    list_display = ("created_at", "member", "from_tier", "to_tier", "status", "source", "decided_by", "decided_at")
    list_select_related = ("member", "from_tier", "to_tier", "decided_by")
    list_filter = ("status", "source", "to_tier", related_id_filter(fk="member", model=Member, title="member"))
    search_fields = ("member__external_id__exact",)
    search_help_text = "Exact member external id."
    sortable_by = ("created_at",)
    autocomplete_fields = ("member", "to_tier")
    raw_id_fields = ("from_tier", "decided_by")
    # Who decided what, when and from where is history: never editable. A proposed change's target
    # and reason may still be corrected before someone decides it.
    readonly_fields = ("member", "from_tier", "metrics", "source", "status", "created_at", "decided_by",
                       "decided_at")
    fields = ("member", "from_tier", "to_tier", "reason", "metrics", "source", "status", "created_at",
              "decided_by", "decided_at")

    def has_add_permission(self, request):
        # Changes are created by services (the member "Change tier" action, evaluations, imports).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != TierChangeStatus.PROPOSED:
            return False
        return super().has_change_permission(request, obj)
