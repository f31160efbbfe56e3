"""/api/v1/campaigns/: approved campaigns and their audiences, for the systems that send the messages.

Only approved campaigns (approved, scheduled, running, completed) are visible; the audience lists
the target group only: holdout members must not be messaged, so they never leave MemberHub.
"""

from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action

from members.api.docs import api_operation
from members.api.views.base import ApiViewSet
from members.campaigns.models import APPROVED_CAMPAIGN_STATUSES
from members.campaigns.selectors import campaign_api_audience_queryset, campaign_api_queryset
from members.core.api.filters import UpdatedSinceFilterSet
from members.models import Campaign, CampaignAudience, CampaignStatus

READ = ("campaigns:read",)


class CampaignSerializer(serializers.ModelSerializer):
    target_segment = serializers.CharField(source="target_segment.name", default=None, read_only=True)
    target_tier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    focus_products = serializers.SlugRelatedField(slug_field="sku", many=True, read_only=True)
    audience_size = serializers.IntegerField(source="target_size", read_only=True,
                                             help_text="Members to message (the holdout is excluded).")

    class Meta:
        model = Campaign
        fields = ("id", "name", "status", "target_kind", "target_segment", "target_tier", "offer_kind", "offer_value",
                  "focus_category", "focus_products", "budget", "starts_on", "ends_on", "approved_at",
                  "audience_size", "updated_at")
        read_only_fields = fields


class CampaignAudienceSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.external_id", read_only=True, help_text="Member external id.")
    email = serializers.EmailField(source="member.email", read_only=True)
    name = serializers.CharField(source="member.name", read_only=True)

    class Meta:
        model = CampaignAudience
        fields = ("id", "member", "email", "name")
        read_only_fields = fields


class CampaignFilterSet(UpdatedSinceFilterSet):
    status = filters.ChoiceFilter(choices=[(s, CampaignStatus(s).label) for s in APPROVED_CAMPAIGN_STATUSES])

    class Meta:
        model = Campaign
        fields = ()


_CAMPAIGN = {"id": 12, "name": "Win back members at churn risk", "status": "scheduled", "target_kind": "at_churn_risk",
             "target_segment": None, "target_tier": None, "offer_kind": "discount_pct", "offer_value": "15.00",
             "focus_category": "", "focus_products": [], "budget": "1840.00", "starts_on": "2026-12-03",
             "ends_on": "2026-12-16", "approved_at": "2026-11-26T10:02:00Z", "audience_size": 2875,
             "updated_at": "2026-11-26T10:02:00Z"}
_MEMBER = {"id": 90211, "member": "C-10023", "email": "ada@example.com", "name": "Ada Lovelace"}


@extend_schema_view(
    list=api_operation(summary="List approved campaigns", scopes=READ,
                       description="Approved, scheduled, running and completed campaigns, newest first (cursor).",
                       examples=[OpenApiExample("Campaign", value=_CAMPAIGN, response_only=True)]),
    retrieve=api_operation(summary="Read an approved campaign", scopes=READ, detail=True,
                           examples=[OpenApiExample("Campaign", value=_CAMPAIGN, response_only=True)]),
    audience=api_operation(summary="List a campaign's audience", scopes=READ, detail=True,
                           description="The members to message (cursor). Holdout members are never listed.",
                           examples=[OpenApiExample("Audience member", value=_MEMBER, response_only=True)]),
)
class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CampaignSerializer
    filterset_class = CampaignFilterSet
    lookup_value_regex = r"\d+"  # anything else is a 404 from the router, not a database error
    read_scopes = READ

    def get_queryset(self):
        return campaign_api_queryset()

    @action(detail=True, methods=["get"], serializer_class=CampaignAudienceSerializer, filterset_class=None)
    def audience(self, request, pk=None):
        campaign = get_object_or_404(Campaign.objects.filter(status__in=APPROVED_CAMPAIGN_STATUSES), pk=pk)
        page = self.paginate_queryset(campaign_api_audience_queryset(campaign_id=campaign.pk))
        return self.get_paginated_response(CampaignAudienceSerializer(page, many=True).data)
