"""Routes under /api/v1/ (URL names: api-member-list, api-member-detail, api-member-bulk, ...)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from members.api import schema  # noqa: F401  (registers the API-key security scheme)
from members.campaigns.api import CampaignViewSet
from members.core.api.views.catalog import ProductViewSet
from members.core.api.views.members import MemberViewSet
from members.core.api.views.orders import OrderViewSet, ReviewViewSet
from members.recs.api import MemberRecommendationViewSet
from members.reviews.api import ModelVersionViewSet
from members.segments.api import MemberScoresViewSet, SegmentViewSet
from members.tiers.api import TierChangeViewSet, TierViewSet

router = SimpleRouter()
router.register("members", MemberViewSet, basename="api-member")
router.register(r"members/(?P<external_id>[^/]+)/recommendations", MemberRecommendationViewSet,
                basename="api-member-recommendation")
router.register("products", ProductViewSet, basename="api-product")
router.register("orders", OrderViewSet, basename="api-order")
router.register("reviews", ReviewViewSet, basename="api-review")
router.register("tiers", TierViewSet, basename="api-tier")
router.register("tier-changes", TierChangeViewSet, basename="api-tier-change")
router.register("segments", SegmentViewSet, basename="api-segment")
router.register("campaigns", CampaignViewSet, basename="api-campaign")
router.register("model-versions", ModelVersionViewSet, basename="api-model-version")

urlpatterns = [
    path("members/<str:external_id>/scores/", MemberScoresViewSet.as_view({"get": "retrieve"}),
         name="api-member-scores"),
    *router.urls,
]
