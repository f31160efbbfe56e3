"""Learned segments: cluster the members' latest feature snapshot, keep each segment's identity
across runs, assign members set-based, and record snapshots and membership history.

Identity: a new cluster takes over the active learned segment it shares the most members with
(Jaccard overlap >= MIN_MATCH_JACCARD, one-to-one by the Hungarian method); clusters left over
are matched to left-over segments by the distance between their profiles (z-scores) when that
is below MAX_PROFILE_DISTANCE. A matched segment keeps its id and, when a merchandiser renamed
it (name_is_custom), its name and description. Unmatched clusters become new segments;
unmatched old ones are deactivated and lose their members.

Assignment: (member, segment) pairs are COPYed into a temporary table and applied with
UPDATE ... FROM in member-id batches; membership history gets a row only where a member's
segment differs from their previous history row. Re-running the same day rewrites that day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from scipy.optimize import linear_sum_assignment

from members.models import MemberFeatures, Segment, SegmentSnapshot
from members.segments.rules import segment_rule_features
from members.segments.selectors import learned_segments_features_stats, segment_features_stats
from ml.member_models.segmentation import (
    SegmentationConfig,
    SegmentationResult,
    segment_members,
    segment_name_choose,
)

MIN_MATCH_JACCARD = 0.2
MAX_PROFILE_DISTANCE = 1.5  # Euclidean distance between z-score profiles on shared columns
ASSIGN_BATCH_ROWS = 50_000
READ_CHUNK_ROWS = 20_000
SEGMENT_INPUT_FIELDS = (
    "member_id", "recency_days", "frequency_365", "monetary_365", "avg_order_value", "return_cancel_rate",
    "tenure_days", "category_shares", "review_count", "avg_rating", "negative_review_share", "text_embedding",
)  # fmt: skip


@dataclass
class SegmentsRefreshResult:
    as_of: date
    members: int = 0
    k: int | None = None
    silhouette: float | None = None
    created: int = 0
    matched: int = 0
    retired: int = 0
    moved: int = 0
    rule_segments: int = 0
    note: str = ""
    sizes: dict[str, int] = field(default_factory=dict)

    def __str__(self) -> str:
        if self.k is None:
            return f"learned segments skipped ({self.note}); {self.rule_segments} rule segments sized"
        sil = f", silhouette {self.silhouette:.2f}" if self.silhouette is not None else ""
        return (
            f"{self.members} members in {self.k} learned segments{sil} ({self.created} new, {self.matched} kept, "
            f"{self.retired} retired), {self.moved} members moved; {self.rule_segments} rule segments sized"
        )


def segmentation_config() -> SegmentationConfig:
    """From settings: MEMBER_SEGMENTS_K (0 = choose by silhouette in MEMBER_SEGMENTS_K_MIN..K_MAX)."""
    k = getattr(settings, "MEMBER_SEGMENTS_K", 0)
    return SegmentationConfig(
        k=k or None,
        k_min=getattr(settings, "MEMBER_SEGMENTS_K_MIN", 2),
        k_max=getattr(settings, "MEMBER_SEGMENTS_K_MAX", 8),
    )


def segments_refresh(*, as_of: date, config: SegmentationConfig | None = None) -> SegmentsRefreshResult:
    """Rebuild learned segments from the MemberFeatures snapshot of `as_of` and snapshot every
    active segment's size and stats for that day. Idempotent for a given as_of and data."""
    result = SegmentsRefreshResult(as_of=as_of)
    rows = list(
        MemberFeatures.objects.filter(as_of=as_of)
        .order_by("member_id")
        .values(*SEGMENT_INPUT_FIELDS)
        .iterator(chunk_size=READ_CHUNK_ROWS)
    )
    result.members = len(rows)
    clustering: SegmentationResult | None = None
    if not rows:
        result.note = f"no member features as of {as_of}"
    else:
        try:
            clustering = segment_members(rows, config=config or segmentation_config())
        except ValueError as exc:
            result.note = str(exc)
    with transaction.atomic():
        if clustering is not None:
            _apply_clustering(rows, clustering, as_of=as_of, result=result)
        result.rule_segments = _snapshot_rule_segments(as_of=as_of)
    return result


def _apply_clustering(
    rows: list[dict], clustering: SegmentationResult, *, as_of: date, result: SegmentsRefreshResult
) -> None:
    member_ids = np.array([row["member_id"] for row in rows], dtype=np.int64)
    labels = clustering.labels
    previous = _previous_assignment(member_ids)
    old_segments = {s.pk: s for s in Segment.objects.filter(kind=Segment.Kind.LEARNED, active=True)}
    matches = match_clusters(
        labels=labels,
        previous=previous,
        profiles={p.label: p.zscores for p in clustering.profiles},
        old_profiles={pk: s.profile.get("zscores", {}) for pk, s in old_segments.items()},
    )
    label_to_segment: dict[int, int] = {}
    # Names are stable: a matched segment keeps its name (campaigns and people refer to it), and a
    # new one takes its most plain candidate that no kept segment holds (segment_name_choose).
    kept = {old_segments[pk].name.lower() for pk in matches.values()}
    taken: set[str] = set(kept)
    for profile in clustering.profiles:
        stored_profile = {
            "zscores": profile.zscores,
            "means": profile.means,
            "centroid": profile.centroid,
            "columns": clustering.columns,
            "as_of": as_of.isoformat(),
            "size": profile.size,
        }
        segment = old_segments.get(matches.get(profile.label))
        if segment is None:
            name = segment_name_choose(profile.name_candidates or [profile.name], taken=taken)
            taken.add(name.lower())
            segment = Segment.objects.create(
                kind=Segment.Kind.LEARNED,
                name=name,
                description=profile.description,
                profile=stored_profile,
            )
            result.created += 1
        else:
            segment.profile = stored_profile
            if not segment.name_is_custom:
                segment.description = profile.description  # today's figures; the name stays
            segment.save(update_fields=["profile", "description", "updated_at"])
            result.matched += 1
        label_to_segment[profile.label] = segment.pk
        result.sizes[segment.name] = profile.size
    retired = [pk for pk in old_segments if pk not in label_to_segment.values()]
    result.retired = Segment.objects.filter(pk__in=retired).update(active=False)
    result.k, result.silhouette = clustering.k, clustering.silhouette
    segment_ids = np.array([label_to_segment[int(lb)] for lb in labels], dtype=np.int64)
    result.moved = _assign(member_ids, segment_ids, as_of=as_of, retired=retired)
    stats = learned_segments_features_stats(as_of=as_of, segment_ids=list(label_to_segment.values()))
    for segment_id in label_to_segment.values():
        _snapshot(segment_id=segment_id, as_of=as_of, stats=stats[segment_id])


def match_clusters(
    *, labels: np.ndarray, previous: np.ndarray, profiles: dict[int, dict], old_profiles: dict[int, dict]
) -> dict[int, int]:
    """{new label: old segment id}. `previous` holds each row's old segment id (0: none)."""
    new_labels = sorted(profiles)
    old_ids = sorted(old_profiles)
    matches: dict[int, int] = {}
    if new_labels and old_ids:
        jaccard = np.zeros((len(new_labels), len(old_ids)))
        for i, label in enumerate(new_labels):
            in_new = labels == label
            for j, old in enumerate(old_ids):
                in_old = previous == old
                union = int((in_new | in_old).sum())
                jaccard[i, j] = int((in_new & in_old).sum()) / union if union else 0.0
        rows, cols = linear_sum_assignment(-jaccard)
        for i, j in zip(rows, cols, strict=True):
            if jaccard[i, j] >= MIN_MATCH_JACCARD:
                matches[new_labels[i]] = old_ids[j]
    # Left-overs (e.g. the members changed wholesale): nearest profile, if close enough.
    free_new = [lb for lb in new_labels if lb not in matches]
    free_old = [pk for pk in old_ids if pk not in matches.values() and old_profiles[pk]]
    if free_new and free_old:
        dist = np.array(
            [[_profile_distance(profiles[lb], old_profiles[pk]) for pk in free_old] for lb in free_new]
        )
        rows, cols = linear_sum_assignment(dist)
        for i, j in zip(rows, cols, strict=True):
            if dist[i, j] <= MAX_PROFILE_DISTANCE:
                matches[free_new[i]] = free_old[j]
    return matches


def _profile_distance(a: dict, b: dict) -> float:
    shared = [c for c in a if c in b]
    if not shared:
        return float("inf")
    return float(np.sqrt(sum((a[c] - b[c]) ** 2 for c in shared)))


def _previous_assignment(member_ids: np.ndarray) -> np.ndarray:
    """Each member's current learned segment id (0 when none), aligned with `member_ids`.

    Reads every member in a learned segment (about the members being clustered) and aligns in
    Python. Filtering on `m.id = ANY(<every member id>)` instead made Postgres test each row against
    the whole list: at 1,000,000 members who all had a segment it ran 10 minutes without finishing
    (a list of 20,000 ids alone took 100 s)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT m.id, m.segment_id FROM members_member m JOIN members_segment s ON s.id = m.segment_id "
            "WHERE s.kind = %s",
            [Segment.Kind.LEARNED.value],
        )
        current = dict(cursor.fetchall())
    return np.array([current.get(int(mid), 0) for mid in member_ids], dtype=np.int64)


def _assign(member_ids: np.ndarray, segment_ids: np.ndarray, *, as_of: date, retired: list[int]) -> int:
    """Set Member.segment for every (member, segment) pair and write history rows; returns how many
    members changed segment. Set-based: COPY into a temp table, then batched UPDATE ... FROM."""
    moved = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE segment_assign (member_id bigint PRIMARY KEY, segment_id bigint) "
            "ON COMMIT DROP"
        )
        with cursor.copy("COPY segment_assign (member_id, segment_id) FROM STDIN") as copy:
            for mid, sid in zip(member_ids.tolist(), segment_ids.tolist(), strict=True):
                copy.write_row((mid, sid))
        order = np.sort(member_ids)
        for start in range(0, len(order), ASSIGN_BATCH_ROWS):
            batch = order[start : start + ASSIGN_BATCH_ROWS]
            cursor.execute(
                "UPDATE members_member m SET segment_id = a.segment_id FROM segment_assign a "
                "WHERE m.id = a.member_id AND a.member_id BETWEEN %s AND %s "
                "AND m.segment_id IS DISTINCT FROM a.segment_id",
                [int(batch[0]), int(batch[-1])],
            )
            moved += cursor.rowcount
        if retired:  # members without a snapshot today leave the retired segments too
            cursor.execute(
                "UPDATE members_member SET segment_id = NULL WHERE segment_id = ANY(%s)", [retired]
            )
        # History: rewrite this day, then add a row wherever the segment differs from the member's
        # previous row (members that dropped out of every learned segment get a NULL row).
        cursor.execute("DELETE FROM members_segmentmembership WHERE as_of = %s", [as_of])
        cursor.execute(
            """
            WITH prev AS (
                SELECT DISTINCT ON (member_id) member_id, segment_id
                FROM members_segmentmembership WHERE as_of < %(as_of)s
                ORDER BY member_id, as_of DESC
            ), today AS (
                SELECT a.member_id, a.segment_id FROM segment_assign a
                UNION ALL
                SELECT p.member_id, NULL FROM prev p
                WHERE p.segment_id = ANY(%(retired)s)
                  AND NOT EXISTS (SELECT 1 FROM segment_assign a WHERE a.member_id = p.member_id)
            )
            INSERT INTO members_segmentmembership (member_id, segment_id, as_of)
            SELECT t.member_id, t.segment_id, %(as_of)s FROM today t
            LEFT JOIN prev p ON p.member_id = t.member_id
            WHERE p.member_id IS NULL OR p.segment_id IS DISTINCT FROM t.segment_id
            """,
            {"as_of": as_of, "retired": retired},
        )
        cursor.execute("DROP TABLE segment_assign")
    return moved


def _snapshot(*, segment_id: int, as_of: date, stats: dict) -> None:
    SegmentSnapshot.objects.update_or_create(
        segment_id=segment_id, as_of=as_of, defaults={"size": stats["size"], "stats": stats}
    )


def _snapshot_rule_segments(*, as_of: date) -> int:
    """Size and stats of every rule segment on the snapshot of `as_of` (two queries each)."""
    count = 0
    for segment in Segment.objects.filter(kind=Segment.Kind.RULE, active=True):
        features = segment_rule_features(definition=segment.rule, as_of=as_of)
        _snapshot(segment_id=segment.pk, as_of=as_of, stats=segment_features_stats(features=features))
        count += 1
    return count


def segment_rename(*, segment_id: int, name: str, description: str | None = None) -> Segment:
    """Rename a segment (and optionally re-describe it); refreshes keep a renamed learned
    segment's name. Raises ValueError for a blank or over-long name."""
    name = (name or "").strip()
    if not name:
        raise ValueError("A segment needs a name.")
    if len(name) > Segment._meta.get_field("name").max_length:
        raise ValueError("That name is too long (128 characters at most).")
    segment = Segment.objects.get(pk=segment_id)
    segment.name, segment.name_is_custom = name, True
    fields = ["name", "name_is_custom", "updated_at"]
    if description is not None:
        segment.description = description.strip()
        fields.append("description")
    segment.save(update_fields=fields)
    return segment
