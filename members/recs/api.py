"""/api/v1/members/<external_id>/recommendations/ (read only, scope recommendations:read)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, serializers

from members.api.docs import api_operation
from members.api.views.base import ApiViewSet
from members.models import Member, Recommendation
from members.recs.selectors import member_recommendations

READ = ("recommendations:read",)
_RECOMMENDATION = {"rank": 1, "sku": "LS-002", "title": "Linen trousers", "category": "Bottoms", "score": 0.7312,
                   "reason": "Because you bought Linen shirt", "model_version": "v20261126120000",
                   "generated_at": "2026-11-26T03:00:00Z"}


class RecommendationSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    title = serializers.CharField(source="product.title")
    category = serializers.CharField(source="product.category")

    class Meta:
        model = Recommendation
        fields = ["rank", "sku", "title", "category", "score", "reason", "model_version", "generated_at"]


@extend_schema_view(
    list=api_operation(
        summary="Recommendations for a member", scopes=READ, detail=True,
        description="The member's current product recommendations, best first (at most 10), each with a "
        "readable reason. Empty until recommendations were generated; 404 for an unknown member.",
        examples=[OpenApiExample("Recommendation", value=_RECOMMENDATION, response_only=True)],
    ),
)
class MemberRecommendationViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = RecommendationSerializer
    pagination_class = None  # ten rows at most
    read_scopes = READ

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no member in the URL
            return Recommendation.objects.none()
        member = get_object_or_404(Member, external_id=self.kwargs["external_id"])
        return member_recommendations(member=member)
