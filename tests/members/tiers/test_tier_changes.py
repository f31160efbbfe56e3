import pytest

from members.models import Member, TierChange
from members.tiers.services import tier_changes
from members.tiers.services.tier_changes import (
    TierChangeError,
    tier_change_apply_manual,
    tier_change_apply_manual_many,
)
from tests.factories import MemberFactory, UserFactory, tier

pytestmark = pytest.mark.django_db


def test_manual_change_records_an_applied_change_and_moves_the_member(member):
    staff = UserFactory()
    change = tier_change_apply_manual(member_id=member.pk, to_tier=tier("gold"), reason="VIP", decided_by=staff)
    member.refresh_from_db()
    assert member.tier == tier("gold")
    assert (change.from_tier, change.to_tier, change.status, change.decided_by) == (
        tier("basic"), tier("gold"), "applied", staff,
    )


def test_manual_change_to_the_current_tier_records_nothing(member):
    assert tier_change_apply_manual(member_id=member.pk, to_tier=tier("basic"), reason="x", decided_by=None) is None
    assert not TierChange.objects.exists()


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_blank_reason_is_refused_before_anything_changes(member, reason):
    with pytest.raises(TierChangeError):
        tier_change_apply_manual_many(member_ids=[member.pk], to_tier=tier("gold"), reason=reason, decided_by=None)
    member.refresh_from_db()
    assert member.tier == tier("basic")
    assert not TierChange.objects.exists()


def test_bulk_change_moves_members_up_and_down_and_skips_those_already_there():
    low, high, there = MemberFactory(), MemberFactory(tier=tier("platinum")), MemberFactory(tier=tier("silver"))
    moved = tier_change_apply_manual_many(
        member_ids=[low.pk, high.pk, there.pk], to_tier=tier("silver"), reason="Re-base", decided_by=None
    )
    assert moved == 2
    assert set(Member.objects.values_list("tier__code", flat=True)) == {"silver"}
    changes = dict(TierChange.objects.values_list("member_id", "from_tier__code"))
    assert changes == {low.pk: "basic", high.pk: "platinum"}


@pytest.mark.parametrize("members", [4, 12])
def test_bulk_change_costs_a_fixed_number_of_queries_per_batch(monkeypatch, django_assert_num_queries, members):
    monkeypatch.setattr(tier_changes, "MANUAL_CHANGE_BATCH_SIZE", 4)
    ids = [m.pk for m in MemberFactory.create_batch(members)]
    batches, gold = members // 4, tier("gold")
    # Per batch: savepoint, lock rows, bulk insert changes, update members, tier.changed
    # subscriptions (none here, so no deliveries), release savepoint.
    with django_assert_num_queries(6 * batches):
        moved = tier_change_apply_manual_many(member_ids=iter(ids), to_tier=gold, reason="r", decided_by=None)
    assert moved == members
    assert TierChange.objects.count() == members
