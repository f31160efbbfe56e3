from unittest import mock

import pytest

from members.models import Member, TierChange, WebhookDelivery
from members.tiers.services.tier_changes import (
    TierChangeError,
    tier_change_apply_manual,
    tier_change_approve,
    tier_change_approve_many,
    tier_change_reject,
)
from members.tiers.services.tier_evaluation import tier_evaluation_run
from tests.factories import MemberFactory, TierChangeFactory, UserFactory, tier
from tests.members.partners.webhooks.conftest import WebhookSubscriptionFactory
from tests.members.tiers.conftest import AS_OF

pytestmark = pytest.mark.django_db


def _proposal(member=None, **kwargs):
    member = member or MemberFactory()
    return TierChangeFactory(
        member=member,
        from_tier=member.tier,
        to_tier=tier("silver"),
        source="evaluation",
        as_of=AS_OF,
        **kwargs,
    )


def test_approving_applies_the_change_and_publishes_tier_changed_on_commit(
    django_capture_on_commit_callbacks,
):
    WebhookSubscriptionFactory()
    proposal, staff = _proposal(), UserFactory()
    with mock.patch("members.partners.tasks.deliver_webhook.apply_async") as deliver:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            tier_change_approve(tier_change_id=proposal.pk, decided_by=staff)
        delivery = WebhookDelivery.objects.get()  # written with the change, in its transaction
        assert deliver.call_count == 0  # nothing is sent before commit
        for callback in callbacks:
            callback()
    deliver.assert_called_once()
    assert deliver.call_args.kwargs["args"] == (delivery.pk,)
    assert (delivery.event, delivery.payload["tier_change_id"], delivery.payload["to_tier"]) == (
        "tier.changed",
        proposal.pk,
        "silver",
    )
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == ("applied", staff)
    assert Member.objects.get(pk=proposal.member_id).tier == tier("silver")


def test_manual_changes_publish_tier_changed_too(member):
    WebhookSubscriptionFactory()
    tier_change_apply_manual(member_id=member.pk, to_tier=tier("gold"), reason="VIP", decided_by=None)
    assert WebhookDelivery.objects.get().payload["to_tier"] == "gold"


def test_approving_a_stale_proposal_is_refused_with_a_reason():
    proposal = _proposal()
    Member.objects.filter(pk=proposal.member_id).update(tier=tier("gold"))
    with pytest.raises(TierChangeError, match="Stale proposal"):
        tier_change_approve(tier_change_id=proposal.pk, decided_by=None)
    proposal.refresh_from_db()
    assert proposal.status == "proposed"
    assert Member.objects.get(pk=proposal.member_id).tier == tier("gold")


def test_approving_a_decided_change_is_refused():
    proposal = _proposal()
    tier_change_reject(tier_change_id=proposal.pk, decided_by=None, reason="Not yet")
    with pytest.raises(TierChangeError, match="no longer a proposal"):
        tier_change_approve(tier_change_id=proposal.pk, decided_by=None)
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == ("rejected", "Not yet")


def test_bulk_approve_applies_the_fresh_ones_and_explains_the_rest():
    fresh, stale = _proposal(), _proposal()
    Member.objects.filter(pk=stale.member_id).update(tier=tier("platinum"))
    result = tier_change_approve_many(tier_change_ids=[fresh.pk, stale.pk, 999_999], decided_by=None)
    assert result.decided == [fresh.pk]
    assert set(result.refused) == {stale.pk, 999_999}
    assert Member.objects.get(pk=fresh.member_id).tier == tier("silver")


def test_a_manual_change_with_a_lock_keeps_the_evaluation_away_until_it_ends(member):
    tier_change_apply_manual(
        member_id=member.pk, to_tier=tier("gold"), reason="Goodwill", decided_by=None, lock_until=AS_OF
    )
    member.refresh_from_db()
    assert member.tier_locked_until == AS_OF
    Member.objects.filter(pk=member.pk).update(tier_below_threshold_since=AS_OF.replace(month=1))
    tier_evaluation_run(as_of=AS_OF)
    assert not TierChange.objects.filter(status="proposed").exists()
