"""Segment history: a snapshot of every segment's size and key stats per refresh, and each member's
learned-segment changes (one row when the member enters a segment, not one per member per day).

Written only by members.segments.services.segments (set-based). Rule segments get snapshots (their size on
that day) but no membership rows: their members are whoever matches the rule at read time.
"""

from django.db import models


class SegmentSnapshot(models.Model):
    segment = models.ForeignKey("members.Segment", on_delete=models.CASCADE, related_name="snapshots")
    as_of = models.DateField()
    size = models.PositiveIntegerField()
    stats = models.JSONField(
        default=dict, blank=True, help_text="Key figures on that day: spend, orders, top categories, reviews."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["segment_id", "as_of"]
        constraints = [
            models.UniqueConstraint(fields=["segment", "as_of"], name="segmentsnapshot_segment_as_of")
        ]
        indexes = [models.Index(fields=["as_of"], name="segmentsnapshot_as_of")]

    def __str__(self) -> str:
        return f"segment {self.segment_id}: {self.size} members as of {self.as_of}"


class SegmentMembership(models.Model):
    """From `as_of` on, the member is in `segment` (null: in no learned segment) until their next row."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="segment_history")
    segment = models.ForeignKey(
        "members.Segment", on_delete=models.SET_NULL, null=True, blank=True, related_name="membership_history"
    )
    as_of = models.DateField()

    class Meta:
        ordering = ["member_id", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["member", "as_of"], name="segmentmembership_member_as_of"),
        ]

    def __str__(self) -> str:
        return f"member {self.member_id} in segment {self.segment_id} from {self.as_of}"
