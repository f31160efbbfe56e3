"""Saving and archiving rule segments; the rule language itself (validation, the query, the words)
is members/segments/rules.py."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from members.models import Segment
from members.segments.rules import (
    SegmentRuleError,
    latest_features_as_of,
    segment_rule_features,
    segment_rule_validate,
)
from members.segments.selectors import segment_features_stats


def segment_rule_save(
    *, definition, name: str, description: str = "", segment_id: int | None = None
) -> Segment:
    """Create a rule segment, or with `segment_id` replace an active rule segment's name, description
    and definition; SegmentRuleError if it is invalid (nothing is written then), Segment.DoesNotExist
    when `segment_id` is not an active rule segment (learned segments are only renamed). Writes the
    latest snapshot's size and stats so the segment shows its (new) size right away."""
    clean = segment_rule_validate(definition)
    name = (name or "").strip()
    if not name:
        raise SegmentRuleError(["Give the segment a name."])
    with transaction.atomic():
        if segment_id is None:
            segment = Segment.objects.create(
                kind=Segment.Kind.RULE,
                name=name,
                description=description.strip(),
                rule=clean,
                name_is_custom=True,
            )
        else:
            segment = Segment.objects.select_for_update().get(
                pk=segment_id, kind=Segment.Kind.RULE, active=True
            )
            segment.name, segment.description, segment.rule = name, description.strip(), clean
            segment.save(update_fields=["name", "description", "rule", "updated_at"])
        as_of = latest_features_as_of()
        if as_of is not None:
            stats = segment_features_stats(features=segment_rule_features(definition=clean, as_of=as_of))
            segment.snapshots.update_or_create(as_of=as_of, defaults={"size": stats["size"], "stats": stats})
    return segment


def segment_rule_archive(*, segment_id: int) -> None:
    """Archive an active rule segment: it leaves the segments pages, the API and the nightly sizing.
    Its snapshots stay, and campaigns that target it keep their audience (Campaign.target_segment
    is PROTECT, which is why rule segments are archived rather than deleted). One conditional
    UPDATE; Segment.DoesNotExist when `segment_id` is not an active rule segment."""
    archived = Segment.objects.filter(pk=segment_id, kind=Segment.Kind.RULE, active=True).update(
        active=False, updated_at=timezone.now()
    )
    if archived != 1:
        raise Segment.DoesNotExist(f"No active rule segment {segment_id}.")
