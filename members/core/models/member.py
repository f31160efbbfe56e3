from django.db import models
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _


class Segment(models.Model):
    """A group of members. Learned and rule segments are built by the member-intelligence work."""

    class Kind(models.TextChoices):
        LEARNED = "learned", _("Learned")
        RULE = "rule", _("Rule")

    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RULE)
    created_at = models.DateTimeField(auto_now_add=True)
    # Fields below: members/segments/services/segments*.py (docs/segments.md).
    name_is_custom = models.BooleanField(
        default=False, help_text="A merchandiser renamed it: refreshes keep the name and description."
    )
    active = models.BooleanField(default=True, help_text="Learned: false once no cluster matches it any more.")
    rule = models.JSONField(
        default=dict, blank=True, help_text="Rule segments: the validated definition (AND/OR groups of conditions)."
    )
    profile = models.JSONField(
        default=dict, blank=True, help_text="Learned: the cluster's feature means and z-scores from the last refresh."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class Gender(models.TextChoices):
    FEMALE = "f", _("Female")
    MALE = "m", _("Male")
    OTHER = "x", _("Other")


class Member(models.Model):
    external_id = models.CharField(max_length=64, unique=True, help_text="The id partner systems use.")
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    joined_at = models.DateTimeField()
    country = models.CharField(max_length=64, blank=True)
    city = models.CharField(max_length=100, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)
    gender = models.CharField(max_length=1, choices=Gender.choices, blank=True)
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    marketing_consent = models.BooleanField(default=False)
    tier = models.ForeignKey("members.Tier", on_delete=models.PROTECT, related_name="members")
    segment = models.ForeignKey(
        Segment, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    tier_locked_until = models.DateField(
        null=True, blank=True, help_text="Set by staff with a manual change: evaluations skip the member through this day."
    )
    tier_below_threshold_since = models.DateField(
        null=True, blank=True, help_text="First evaluation day the member fell below their tier; starts the grace period."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-joined_at", "-id"]
        indexes = [
            models.Index(Upper("email"), name="member_email_upper"),
            models.Index(fields=["-joined_at", "-id"], name="member_joined_desc"),
            models.Index(fields=["tier", "status"], name="member_tier_status"),
            models.Index(fields=["country"], name="member_country"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True) | models.Q(birth_year__gte=1900, birth_year__lte=2100),
                name="member_birth_year_plausible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.email or self.external_id} ({self.external_id})"
