from datetime import timedelta

import pytest

from members.models import Member, Segment, SegmentMembership, SegmentSnapshot
from members.segments.services.segments import segment_rename, segments_refresh
from ml.member_models.segmentation import SegmentationConfig
from tests.members.segments.conftest import AS_OF, GROUP_SIZE, make_population

pytestmark = pytest.mark.django_db
K_RANGE = SegmentationConfig(k_min=2, k_max=5)


def _groups_by_segment(population):
    segment_of = dict(Member.objects.values_list("id", "segment_id"))
    return {group: {segment_of[m] for m in ids} for group, ids in population.items()}


def test_clearly_separated_groups_are_recovered_as_segments(population):
    result = segments_refresh(as_of=AS_OF, config=K_RANGE)
    assert result.k == 3 and result.members == 3 * GROUP_SIZE
    by_group = _groups_by_segment(population)
    assert all(len(ids) == 1 for ids in by_group.values())  # each group lands in one segment
    assert len({next(iter(ids)) for ids in by_group.values()}) == 3  # ... and the three differ


def test_names_and_descriptions_describe_what_sets_a_segment_apart(population):
    segments_refresh(as_of=AS_OF, config=K_RANGE)
    loyal = Member.objects.get(pk=population["loyal"][0]).segment
    lapsed = Member.objects.get(pk=population["lapsed"][0]).segment
    new = Member.objects.get(pk=population["new"][0]).segment
    assert "Dresses and Knits" in loyal.description and "orders a year" in loyal.description
    assert any(word in loyal.name.lower() for word in ("frequent", "spend", "loyal", "vocal"))
    assert (
        "lapsed" in lapsed.name.lower() or "unhappy" in lapsed.name.lower() or "return" in lapsed.name.lower()
    )
    assert "10% positive reviews" in lapsed.description
    assert "new" in new.name.lower() or "newcomers" in new.name.lower()
    assert "No orders in the last year" in new.description


def test_snapshot_and_history_are_written_per_segment(population):
    segments_refresh(as_of=AS_OF, config=K_RANGE)
    snapshots = SegmentSnapshot.objects.filter(as_of=AS_OF)
    assert sorted(s.size for s in snapshots) == [GROUP_SIZE] * 3
    loyal_snapshot = snapshots.get(segment=Member.objects.get(pk=population["loyal"][0]).segment)
    assert loyal_snapshot.stats["top_categories"][0] == ["Dresses", 0.6]
    assert loyal_snapshot.stats["avg_orders_365"] >= 8
    assert SegmentMembership.objects.filter(as_of=AS_OF).count() == 3 * GROUP_SIZE


def test_a_rerun_keeps_segment_identity_and_a_renamed_segments_name(population):
    segments_refresh(as_of=AS_OF, config=K_RANGE)
    before = _groups_by_segment(population)
    loyal_id = next(iter(before["loyal"]))
    segment_rename(segment_id=loyal_id, name="Our best customers")
    later = AS_OF + timedelta(days=7)
    make_population(as_of=later, seed=8, members=population)  # same members, slightly different figures
    result = segments_refresh(as_of=later, config=K_RANGE)
    assert result.created == 0 and result.matched == 3 and result.moved == 0
    assert _groups_by_segment(population) == before
    assert Segment.objects.get(pk=loyal_id).name == "Our best customers"
    # Nobody moved: the history gained no rows, the snapshots gained one per segment.
    assert SegmentMembership.objects.count() == 3 * GROUP_SIZE
    assert SegmentSnapshot.objects.filter(segment_id=loyal_id).count() == 2


def test_rerunning_the_same_day_changes_nothing(population):
    segments_refresh(as_of=AS_OF, config=K_RANGE)
    state = list(Member.objects.order_by("id").values_list("id", "segment_id"))
    result = segments_refresh(as_of=AS_OF, config=K_RANGE)
    assert result.moved == 0 and result.created == 0
    assert list(Member.objects.order_by("id").values_list("id", "segment_id")) == state
    assert SegmentMembership.objects.count() == 3 * GROUP_SIZE


def test_a_segment_whose_cluster_disappears_is_retired_and_members_move(population):
    segments_refresh(as_of=AS_OF, config=K_RANGE)
    new_segment = Member.objects.get(pk=population["new"][0]).segment_id
    later = AS_OF + timedelta(days=1)
    make_population(as_of=later, groups=("loyal", "lapsed"), members=population)
    result = segments_refresh(as_of=later, config=SegmentationConfig(k=2))
    assert result.retired == 1 and not Segment.objects.get(pk=new_segment).active
    assert not Member.objects.filter(segment_id=new_segment).exists()
    history = SegmentMembership.objects.filter(member_id=population["new"][0]).order_by("as_of")
    assert [h.segment_id for h in history] == [new_segment, None]


def test_too_few_members_skips_learned_segments_with_a_reason(db):
    result = segments_refresh(as_of=AS_OF)
    assert result.k is None and "no member features" in str(result)


def test_a_rerun_keeps_every_generated_name_so_campaigns_still_point_at_it(population):
    segments_refresh(as_of=AS_OF, config=K_RANGE)
    names = dict(Segment.objects.filter(kind=Segment.Kind.LEARNED, active=True).values_list("pk", "name"))
    later = AS_OF + timedelta(days=7)
    make_population(as_of=later, seed=9, members=population)  # new figures: generated names could differ

    segments_refresh(as_of=later, config=K_RANGE)

    assert dict(Segment.objects.filter(kind=Segment.Kind.LEARNED, active=True).values_list("pk", "name")) == names


def test_learned_segment_names_are_distinct_and_never_numbered(population):
    segments_refresh(as_of=AS_OF, config=SegmentationConfig(k=5))  # more clusters than groups: alike pairs
    names = list(Segment.objects.filter(kind=Segment.Kind.LEARNED, active=True).values_list("name", flat=True))
    assert len(names) == 5 and len({n.lower() for n in names}) == 5
    assert not any(n.endswith(("(2)", "(3)")) for n in names)


def test_grouped_stats_of_learned_segments_are_each_segments_own_stats(population):
    """The refresh sizes all learned segments in one grouped pass (learned_segments_features_stats);
    each segment's figures are what segment_features_stats gives for its members alone."""
    from members.models import MemberFeatures
    from members.segments.selectors import learned_segments_features_stats, segment_features_stats

    segments_refresh(as_of=AS_OF, config=K_RANGE)
    ids = list(Segment.objects.filter(kind=Segment.Kind.LEARNED, active=True).values_list("pk", flat=True))
    empty = Segment.objects.create(kind=Segment.Kind.LEARNED, name="Nobody yet")
    grouped = learned_segments_features_stats(as_of=AS_OF, segment_ids=[*ids, empty.pk])
    for pk in [*ids, empty.pk]:
        own = segment_features_stats(features=MemberFeatures.objects.filter(as_of=AS_OF, member__segment_id=pk))
        assert grouped[pk] == own
    assert sorted(grouped[pk]["size"] for pk in ids) == [GROUP_SIZE] * 3
    assert any(grouped[pk]["top_categories"] for pk in ids)
