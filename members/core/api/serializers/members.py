"""Member input and output. The tier is output only: tier moves go through TierChange."""

from django.utils import timezone
from rest_framework import serializers

from members.api.serializers.base import (
    StrictBooleanField,
    StrictCharField,
    StrictDateTimeField,
    StrictEmailField,
    StrictInputSerializer,
    StrictIntegerField,
    external_id_field,
)
from members.api.serializers.lean import time_text
from members.core.models.member import Gender
from members.models import Member, MemberStatus


class MemberSerializer(serializers.ModelSerializer):
    tier = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text="The tier code.")
    # Blank is a stored value for these (not given): the schema must allow "" in responses.
    email = serializers.CharField(read_only=True, help_text="An email address, or empty.")
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, read_only=True)

    class Meta:
        model = Member
        fields = ("external_id", "email", "name", "joined_at", "country", "city", "birth_year", "gender",
                  "status", "marketing_consent", "tier", "created_at", "updated_at")
        read_only_fields = fields


# The lean list (members/api/views/base.py: LeanListMixin): MemberSerializer's output from values().
MEMBER_LIST_FIELDS = ("id", "external_id", "email", "name", "joined_at", "country", "city", "birth_year", "gender",
                      "status", "marketing_consent", "tier__code", "created_at", "updated_at")


def member_rows_out(rows: list[dict]) -> list[dict]:
    tz = timezone.get_current_timezone()
    return [{
        "external_id": row["external_id"], "email": row["email"], "name": row["name"],
        "joined_at": time_text(row["joined_at"], tz), "country": row["country"], "city": row["city"],
        "birth_year": row["birth_year"], "gender": row["gender"], "status": row["status"],
        "marketing_consent": row["marketing_consent"], "tier": row["tier__code"],
        "created_at": time_text(row["created_at"], tz), "updated_at": time_text(row["updated_at"], tz),
    } for row in rows]


class MemberWriteSerializer(StrictInputSerializer):
    """The full member (PUT semantics): an omitted optional field is reset to its default."""

    external_id = external_id_field(required=False, help_text="Optional in PUT (the URL names it).")
    email = StrictEmailField(max_length=254, allow_blank=True, default="")
    name = StrictCharField(max_length=200, allow_blank=True, default="")
    joined_at = StrictDateTimeField()
    country = StrictCharField(max_length=64, allow_blank=True, default="")
    city = StrictCharField(max_length=100, allow_blank=True, default="")
    birth_year = StrictIntegerField(min_value=1900, max_value=2100, allow_null=True, default=None)
    gender = serializers.ChoiceField(choices=Gender.choices, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    marketing_consent = StrictBooleanField(default=False)
    tier = serializers.CharField(read_only=True, help_text="Read-only: tier moves go through tier changes.")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class MemberBulkRecordSerializer(MemberWriteSerializer):
    external_id = external_id_field()
