from datetime import timedelta
from decimal import Decimal

import factory
import pytest
from django.utils import timezone

from members.models import Campaign, CampaignOfferKind, CampaignTargetKind
from tests.factories import MemberFactory, tier


class CampaignFactory(factory.django.DjangoModelFactory):
    """A proposed tier campaign (Gold members unless told otherwise), a week out, two weeks long."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    target_kind = CampaignTargetKind.TIER
    target_tier = factory.LazyFunction(lambda: tier("basic"))
    offer_kind = CampaignOfferKind.DISCOUNT_PCT
    offer_value = Decimal(10)
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))
    ends_on = factory.LazyAttribute(lambda c: c.starts_on + timedelta(days=13))
    rationale = "Because the test says so."
    predicted_effect = factory.LazyFunction(lambda: {
        "method": "prior", "baseline_rate": 0.10, "redemption_rate": {"estimate": 0.15, "low": 0.12, "high": 0.18},
        "incremental_revenue": {"estimate": 500.0, "low": 250.0, "high": 750.0},
        "lift": {"estimate": 0.05, "low": 0.025, "high": 0.075}, "interval": "80 %", "note": "prior",
    })


@pytest.fixture
def consenting_members(db):
    """40 active basic-tier members who agreed to marketing, plus 3 who did not and 2 closed ones."""
    members = MemberFactory.create_batch(40, marketing_consent=True, tier=tier("basic"))
    MemberFactory.create_batch(3, marketing_consent=False, tier=tier("basic"))
    MemberFactory.create_batch(2, marketing_consent=True, status="closed", tier=tier("basic"))
    return members


@pytest.fixture
def merch_client(client, db):
    """A signed-in merchandiser (the people who decide campaigns)."""
    from django.contrib.auth.models import Group

    from members.accounts.roles import MERCHANDISERS_GROUP
    from tests.factories import UserFactory

    user = UserFactory(username="merch", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    client.force_login(user)
    client.user = user
    return client
