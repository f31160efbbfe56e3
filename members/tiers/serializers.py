"""The tier ladder and tier changes (read only)."""

from rest_framework import serializers

from members.models import Tier, TierChange


class TierSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tier
        fields = ("code", "name", "rank", "min_spend", "min_orders", "qualifying_window_days", "benefits")
        read_only_fields = fields


class TierChangeSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.external_id", read_only=True, help_text="Member external id.")
    from_tier = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    to_tier = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = TierChange
        fields = ("id", "member", "from_tier", "to_tier", "reason", "metrics", "source", "status", "created_at",
                  "decided_at")
        read_only_fields = fields
