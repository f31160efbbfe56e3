"""/api/v1/segments/ (list, detail, members via cursor) and /api/v1/members/<external_id>/scores/.

Both need the members:read scope. Sizes and stats come from each segment's latest snapshot
(written by the nightly refresh, or when a rule segment is saved); a rule segment's members are
evaluated on the latest feature snapshot at request time.
"""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from members.api.docs import api_operation
from members.api.views.base import ApiViewSet
from members.core.api.serializers.members import MemberSerializer
from members.core.selectors.member_detail import member_get, member_scores
from members.models import Member, Segment, SegmentSnapshot
from members.segments.rules import segment_rule_describe
from members.segments.selectors import segment_api_queryset, segment_members_queryset

READ = ("members:read",)


class SegmentSerializer(serializers.ModelSerializer):
    size = serializers.SerializerMethodField(help_text="Members on the latest snapshot (null: never sized).")
    as_of = serializers.SerializerMethodField(help_text="The snapshot date size and stats are from.")
    stats = serializers.SerializerMethodField(help_text="Spend, orders, recency, top categories on that day.")
    rule_text = serializers.SerializerMethodField(help_text="A rule segment's definition in words.")

    class Meta:
        model = Segment
        fields = (
            "id",
            "name",
            "description",
            "kind",
            "size",
            "as_of",
            "stats",
            "rule",
            "rule_text",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def _latest(self, segment) -> SegmentSnapshot | None:
        snaps = getattr(segment, "latest_snapshots", None)
        return snaps[0] if snaps else None

    def get_size(self, segment) -> int | None:
        snap = self._latest(segment)
        return snap.size if snap else None

    def get_as_of(self, segment) -> str | None:
        snap = self._latest(segment)
        return snap.as_of.isoformat() if snap else None

    def get_stats(self, segment) -> dict:
        snap = self._latest(segment)
        return snap.stats if snap else {}

    def get_rule_text(self, segment) -> str:
        return segment_rule_describe(segment.rule) if segment.rule else ""


_SEGMENT = {
    "id": 3,
    "name": "Loyal high spenders",
    "kind": "learned",
    "size": 12840,
    "as_of": "2026-06-30",
    "description": "9.2 orders a year, spends 1,240 a year, mostly Dresses and Knits, 94% positive reviews.",
    "stats": {
        "size": 12840,
        "avg_orders_365": 9.2,
        "avg_spend_365": 1240.5,
        "top_categories": [["Dresses", 0.41], ["Knits", 0.22]],
    },
    "rule": {},
    "rule_text": "",
    "created_at": "2026-06-01T02:00:00Z",
    "updated_at": "2026-06-30T02:00:00Z",
}


@extend_schema_view(
    list=api_operation(
        summary="List segments",
        scopes=READ,
        description="Learned and rule segments with their latest size and key stats.",
        examples=[OpenApiExample("Segment", value=_SEGMENT, response_only=True)],
    ),
    retrieve=api_operation(
        summary="Read a segment",
        scopes=READ,
        detail=True,
        examples=[OpenApiExample("Segment", value=_SEGMENT, response_only=True)],
    ),
    members=api_operation(
        summary="List a segment's members",
        scopes=READ,
        detail=True,
        responses={200: MemberSerializer(many=True)},
        description="Cursor-paginated, newest member id first. Rule segments are evaluated on "
        "the latest feature snapshot.",
    ),
)
class SegmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SegmentSerializer
    read_scopes = READ

    def get_queryset(self):
        return segment_api_queryset()

    @action(detail=True, methods=["get"], serializer_class=MemberSerializer)
    def members(self, request, pk=None):
        segment = self.get_object()
        page = self.paginate_queryset(segment_members_queryset(segment=segment))
        return self.get_paginated_response(MemberSerializer(page, many=True).data)


class ChurnSerializer(serializers.Serializer):
    probability = serializers.FloatField()
    as_of = serializers.DateField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Top reasons, in words.")


class ForecastSerializer(serializers.Serializer):
    expected_spend = serializers.DecimalField(max_digits=14, decimal_places=2)
    spend_low = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    spend_high = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    likely_to_reach_next_tier = serializers.BooleanField()
    at_risk_of_downgrade = serializers.BooleanField()
    as_of = serializers.DateField()


class NextTierSerializer(serializers.Serializer):
    tier = serializers.CharField()
    next_tier = serializers.CharField(allow_null=True)
    window_days = serializers.IntegerField()
    window_spend = serializers.CharField()
    window_orders = serializers.IntegerField()
    spend_needed = serializers.CharField()
    orders_needed = serializers.IntegerField()
    either_is_enough = serializers.BooleanField()
    progress = serializers.FloatField(help_text="0..1 towards the next tier.")


class SegmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MemberScoresSerializer(serializers.Serializer):
    external_id = serializers.CharField()
    segment = SegmentRefSerializer(allow_null=True)
    churn = ChurnSerializer(allow_null=True, help_text="Null until the member is scored.")
    forecast = ForecastSerializer(allow_null=True, help_text="90-day spend forecast; null until scored.")
    next_tier = NextTierSerializer()


def member_scores_json(member: Member) -> dict:
    intel = member_scores(member=member)
    churn, forecast = intel.churn, intel.forecast
    return {
        "external_id": member.external_id,
        "segment": {"id": member.segment.pk, "name": member.segment.name} if member.segment else None,
        "churn": None
        if churn is None
        else {
            "probability": round(churn.probability, 4),
            "as_of": churn.as_of,
            "reasons": [r.get("text", str(r)) if isinstance(r, dict) else str(r) for r in churn.top_reasons],
        },
        "forecast": None
        if forecast is None
        else {
            "expected_spend": forecast.expected_spend,
            "spend_low": forecast.spend_low,
            "spend_high": forecast.spend_high,
            "likely_to_reach_next_tier": forecast.likely_to_reach_next_tier,
            "at_risk_of_downgrade": forecast.at_risk_of_downgrade,
            "as_of": forecast.as_of,
        },
        "next_tier": intel.next_tier.as_json(),
    }


_SCORES = {
    "external_id": "C-10023",
    "segment": {"id": 3, "name": "Loyal high spenders"},
    "churn": {"probability": 0.18, "as_of": "2026-06-30", "reasons": ["no order for 140 days"]},
    "forecast": {
        "expected_spend": "310.50",
        "spend_low": "40.00",
        "spend_high": "720.00",
        "likely_to_reach_next_tier": True,
        "at_risk_of_downgrade": False,
        "as_of": "2026-06-30",
    },
    "next_tier": {
        "tier": "silver",
        "next_tier": "gold",
        "window_days": 365,
        "window_spend": "820.00",
        "window_orders": 6,
        "spend_needed": "180.00",
        "orders_needed": 0,
        "either_is_enough": False,
        "progress": 0.82,
    },
}


@extend_schema_view(
    retrieve=api_operation(
        summary="Read a member's scores",
        scopes=READ,
        detail=True,
        responses={200: MemberScoresSerializer},
        description="Segment, churn risk with its reasons, 90-day spend forecast and progress "
        "to the next tier.",
        examples=[OpenApiExample("Scores", value=_SCORES, response_only=True)],
    ),
)
class MemberScoresViewSet(ApiViewSet):
    serializer_class = MemberScoresSerializer
    pagination_class = None
    read_scopes = READ

    def retrieve(self, request, external_id: str):
        try:
            member = member_get(external_id=external_id)
        except Member.DoesNotExist:
            raise NotFound("No member with that external id.") from None
        return Response(MemberScoresSerializer(member_scores_json(member)).data)
