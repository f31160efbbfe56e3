"""Campaigns in the operations admin: read and search; decisions are made on the Campaigns page
(members/campaigns/views.py), through the same services, so the admin never edits a status."""

from django.contrib import admin

from members.admin.base import ScalableAdmin
from members.models import Campaign, CampaignAudience


@admin.register(Campaign)
class CampaignAdmin(ScalableAdmin):
    list_display = ("created_at", "name", "status", "target_kind", "offer_kind", "offer_value", "starts_on",
                    "ends_on", "proposed_by", "approved_by")
    list_select_related = ("approved_by",)
    list_filter = ("status", "target_kind", "offer_kind", "proposed_by")
    search_fields = ("name",)
    sortable_by = ("created_at",)
    raw_id_fields = ("target_segment", "target_tier", "proposed_by_user", "approved_by", "rejected_by")
    readonly_fields = tuple(f.name for f in Campaign._meta.concrete_fields if f.name != "id")

    def has_add_permission(self, request):
        return False  # campaigns are proposed by the engine or on the Campaigns page (with a prediction)

    def has_change_permission(self, request, obj=None):
        return False  # decisions and edits go through the services, on the Campaigns page

    def has_delete_permission(self, request, obj=None):
        return False  # decided campaigns are history; measured ones train the predictor


@admin.register(CampaignAudience)
class CampaignAudienceAdmin(ScalableAdmin):
    list_display = ("campaign", "member", "group")
    list_select_related = ("campaign", "member")
    list_filter = ("group",)
    search_fields = ("member__external_id__exact",)
    search_help_text = "Exact member external id."
    raw_id_fields = ("campaign", "member")
    readonly_fields = ("campaign", "member", "group")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
