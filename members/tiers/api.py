"""/api/v1/tiers/ and /api/v1/tier-changes/ (read only)."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins

from members.api.docs import api_operation
from members.api.views.base import ApiViewSet
from members.core.api.filters import TierChangeFilterSet
from members.core.selectors.api_reads import api_tier_change_queryset, api_tier_queryset
from members.tiers.serializers import TierChangeSerializer, TierSerializer

READ = ("tiers:read",)
_TIER = {"code": "gold", "name": "Gold", "rank": 2, "min_spend": "1000.00", "min_orders": 5,
         "qualifying_window_days": 365, "benefits": "Free express shipping"}
_CHANGE = {"id": 41, "member": "C-10023", "from_tier": "silver", "to_tier": "gold",
           "reason": "Spent 1,240.00 in 365 days", "metrics": {"spend": "1240.00", "orders": 7},
           "source": "evaluation", "status": "applied", "created_at": "2024-06-01T02:00:00Z",
           "decided_at": "2024-06-01T09:12:00Z"}


@extend_schema_view(
    list=api_operation(summary="List the tier ladder", scopes=READ, description="Lowest rank first.",
                       examples=[OpenApiExample("Tier", value=_TIER, response_only=True)]),
    retrieve=api_operation(summary="Read a tier", scopes=READ, detail=True,
                           examples=[OpenApiExample("Tier", value=_TIER, response_only=True)]),
)
class TierViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TierSerializer
    pagination_class = None  # a handful of rungs
    lookup_field = "code"
    read_scopes = READ

    def get_queryset(self):
        return api_tier_queryset()


@extend_schema_view(
    list=api_operation(summary="List tier changes", scopes=READ,
                       description="The audit trail of tier moves, newest first. Filter by member, status, since.",
                       examples=[OpenApiExample("Tier change", value=_CHANGE, response_only=True)]),
    retrieve=api_operation(summary="Read a tier change", scopes=READ, detail=True,
                           examples=[OpenApiExample("Tier change", value=_CHANGE, response_only=True)]),
)
class TierChangeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = TierChangeSerializer
    filterset_class = TierChangeFilterSet
    read_scopes = READ

    def get_queryset(self):
        return api_tier_change_queryset()
