"""The engine proposes campaigns where it sees a signal, with a rationale, once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.campaigns.services.campaign_engine import campaign_engine_propose
from members.campaigns.services.campaigns import campaign_reject
from members.models import (
    Campaign,
    CampaignOfferKind,
    CampaignProposer,
    CampaignStatus,
    CampaignTargetKind,
    ChurnScore,
    MemberModelKind,
    MemberModelVersion,
    Segment,
)
from tests.factories import MemberFactory, OrderFactory, OrderItemFactory, ProductFactory, tier

pytestmark = pytest.mark.django_db


def _churn_scores(members, probability: float) -> None:
    version = MemberModelVersion.objects.create(kind=MemberModelKind.CHURN, version=1, as_of=timezone.localdate(),
                                                artifact_path="churn-v1.joblib", active=True)
    ChurnScore.objects.bulk_create(
        ChurnScore(member=m, as_of=timezone.localdate(), probability=probability, model_version=version,
                   scored_at=timezone.now()) for m in members)


def test_members_at_churn_risk_get_a_win_back_proposal_with_a_rationale(staff_user):
    risky = MemberFactory.create_batch(25, marketing_consent=True)
    for m in risky:
        OrderFactory(member=m, placed_at=timezone.now() - timedelta(days=200), total=Decimal("60.00"))
    _churn_scores(risky, 0.8)

    proposals = campaign_engine_propose()

    churn = [c for c in proposals if c.target_kind == CampaignTargetKind.AT_CHURN_RISK]
    assert len(churn) == 1
    campaign = churn[0]
    assert campaign.status == CampaignStatus.PROPOSED and campaign.proposed_by == CampaignProposer.ENGINE
    assert campaign.offer_kind == CampaignOfferKind.DISCOUNT_PCT
    assert "Churn risk" in campaign.rationale and "25 members" in campaign.rationale
    assert campaign.predicted_effect["method"] == "prior"
    assert campaign.predicted_effect["features"]["churn_mean"] == pytest.approx(0.8)
    assert campaign.budget > 0
    assert campaign.starts_on > timezone.localdate()


def test_the_engine_does_not_propose_the_same_thing_twice_or_right_after_a_rejection(staff_user):
    risky = MemberFactory.create_batch(25, marketing_consent=True)
    for m in risky:
        OrderFactory(member=m, placed_at=timezone.now() - timedelta(days=200), total=Decimal("60.00"))
    _churn_scores(risky, 0.8)
    first = campaign_engine_propose()
    assert first and campaign_engine_propose() == []
    for c in first:
        campaign_reject(campaign_id=c.pk, rejected_by=staff_user, reason="Not before the sale.")
    assert campaign_engine_propose() == []


def test_too_small_an_audience_gets_no_proposal():
    risky = MemberFactory.create_batch(5, marketing_consent=True)
    for m in risky:
        OrderFactory(member=m, placed_at=timezone.now() - timedelta(days=200), total=Decimal("60.00"))
    _churn_scores(risky, 0.9)
    assert campaign_engine_propose() == []


def test_a_segment_with_a_strong_category_affinity_gets_a_category_offer():
    tea_lovers = Segment.objects.create(name="Tea lovers", kind=Segment.Kind.LEARNED)
    fans = MemberFactory.create_batch(25, marketing_consent=True, segment=tea_lovers, tier=tier("basic"))
    others = MemberFactory.create_batch(25, marketing_consent=True, tier=tier("basic"))
    tea = ProductFactory(category="Tea", price=Decimal("10.00"))
    mug = ProductFactory(category="Mugs", price=Decimal("10.00"))
    recent = timezone.now() - timedelta(days=20)
    for m in fans:  # tea lovers buy tea, and at a discount (price sensitive)
        order = OrderFactory(member=m, placed_at=recent, total=Decimal("16.00"))
        OrderItemFactory(order=order, line_number=1, product=tea, quantity=2, unit_price=Decimal("8.00"))
    for m in others:
        order = OrderFactory(member=m, placed_at=recent, total=Decimal("20.00"))
        OrderItemFactory(order=order, line_number=1, product=mug, quantity=2, unit_price=Decimal("10.00"))

    proposals = campaign_engine_propose()

    seg = [c for c in proposals if c.target_kind == CampaignTargetKind.SEGMENT]
    assert len(seg) == 1
    assert seg[0].target_segment == tea_lovers and seg[0].focus_category == "Tea"
    assert seg[0].offer_kind == CampaignOfferKind.DISCOUNT_PCT
    assert "Category affinity" in seg[0].rationale and "price sensitivity" in seg[0].rationale
    assert Campaign.objects.filter(target_kind=CampaignTargetKind.SEGMENT).count() == 1
