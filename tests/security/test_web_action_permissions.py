"""D10: web actions check the same Django permissions as the admin (members/web/permissions.py).

A user who may only look (view permissions) gets a 403 on every state-changing page action and
nothing is written; the tier ladder needs change_tier, which Operations staff do not hold.
"""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from members.accounts.roles import MERCHANDISERS_GROUP
from members.models import (
    Campaign,
    ModelVersion,
    Review,
    Segment,
    Tier,
    TierChange,
    TierPolicy,
    Topic,
    TrainingRun,
)
from members.web.permissions import WEB_ACTION_PERMISSIONS
from tests.factories import MemberFactory, ReviewFactory, TierChangeFactory, UserFactory, tier
from tests.members.campaigns.conftest import CampaignFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]

POLICY_POST = {
    "qualifying_window_days": 365, "downgrade_grace_days": 30, "upgrades_mode": "propose",
    "qualify_on": "spend_and_orders", "note": "cheaper gold",
    "min_spend_basic": 0, "min_orders_basic": 0, "min_spend_silver": 500, "min_orders_silver": 0,
    "min_spend_gold": 1000, "min_orders_gold": 0, "min_spend_platinum": 5000, "min_orders_platinum": 15,
}


@pytest.fixture
def view_only_merchandiser(client):
    """A merchandiser whose group holds view permissions only."""
    group = Group.objects.get(name=MERCHANDISERS_GROUP)
    group.permissions.set(Permission.objects.filter(content_type__app_label="members", codename__startswith="view_"))
    user = UserFactory(username="viewer", is_staff=False)
    user.groups.add(group)
    client.force_login(user)
    return client


@pytest.fixture
def objects(db):
    member = MemberFactory(tier=tier("basic"))
    change = TierChangeFactory(member=member, from_tier=tier("basic"), to_tier=tier("silver"))
    campaign = CampaignFactory()
    segment = Segment.objects.create(name="Big spenders", kind="rule", rule={})
    run = TrainingRun.objects.create(task="sentiment", parameters={})
    version = ModelVersion.objects.create(task="sentiment", version=1, artifact_path="/tmp/v1", metrics={},
                                          status="candidate")
    review = ReviewFactory(member=member)
    topic = Topic.objects.create(name="Fit", description="How it fits")
    return {"change": change, "campaign": campaign, "segment": segment, "run": run, "version": version,
            "review": review, "topic": topic}


def _attempts(o):
    return [
        (f"/tier-changes/{o['change'].pk}/approve/", {}),
        (f"/tier-changes/{o['change'].pk}/reject/", {"reason": "no"}),
        ("/tier-changes/decide/", {"ids": [o["change"].pk], "action": "approve"}),
        ("/tiers/policy/", POLICY_POST),
        (f"/campaigns/{o['campaign'].pk}/approve/", {}),
        (f"/campaigns/{o['campaign'].pk}/reject/", {"reason": "no"}),
        ("/campaigns/decide/", {"ids": [o["campaign"].pk], "action": "approve"}),
        (f"/campaigns/{o['campaign'].pk}/edit/", {"name": "renamed"}),
        ("/campaigns/new/", {"name": "new"}),
        ("/segments/new/", {"name": "new", "action": "save"}),
        (f"/segments/{o['segment'].pk}/rename/", {"name": "renamed"}),
        (f"/segments/{o['segment'].pk}/edit/", {"name": "renamed", "action": "save"}),
        (f"/segments/{o['segment'].pk}/archive/", {}),
        ("/models/runs/", {"task": "sentiment", "epochs": "1"}),
        (f"/models/runs/{o['run'].pk}/cancel/", {}),
        (f"/models/versions/{o['version'].pk}/promote/", {}),
        ("/models/sentiment/rollback/", {}),
        (f"/reviews/{o['review'].external_id}/sentiment/", {"label": "negative"}),
        (f"/reviews/{o['review'].external_id}/topics/{o['topic'].pk}/", {"present": "yes"}),
    ]


def _state():
    return (
        list(TierChange.objects.values_list("status", flat=True)),
        list(Campaign.objects.values_list("name", "status")),
        list(Segment.objects.values_list("name", "active", "rule")),
        list(TrainingRun.objects.values_list("status", flat=True)),
        list(ModelVersion.objects.values_list("status", flat=True)),
        list(Review.objects.values_list("sentiment_label_human", flat=True)),
        TierPolicy.objects.count(),
        list(Tier.objects.values_list("min_spend", flat=True)),
    )


def test_a_view_only_merchandiser_is_refused_every_web_action(view_only_merchandiser, objects):
    client = view_only_merchandiser
    client.get("/tiers/")  # creates policy v1 on first use
    before = _state()
    for url, data in _attempts(objects):
        response = client.post(url, data, HTTP_HX_REQUEST="true")
        assert response.status_code == 403, url
        assert "Not allowed" in response.content.decode()
    assert _state() == before
    # Looking is still fine.
    assert client.get("/tier-changes/").status_code == 200
    assert client.get("/campaigns/").status_code == 200


def test_operations_staff_cannot_change_the_tier_ladder_on_the_page(client, objects):
    from members.accounts.roles import OPERATIONS_GROUP

    user = UserFactory(username="ops", is_staff=True)
    user.groups.add(Group.objects.get(name=OPERATIONS_GROUP))
    client.force_login(user)
    client.get("/tiers/")
    gold = tier("gold")

    response = client.post("/tiers/policy/", POLICY_POST)

    assert response.status_code == 403
    assert tier("gold").min_spend == gold.min_spend and TierPolicy.objects.count() == 1
    # The admin refuses the same change, for the same reason (no members.change_tier).
    admin_response = client.post(f"/admin/members/tier/{gold.pk}/change/", {"min_spend": 1})
    assert admin_response.status_code == 403


def test_a_user_granted_the_tier_permissions_may_save_the_policy(client, objects):
    user = UserFactory(username="ladder", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    user.user_permissions.add(*Permission.objects.filter(codename__in=["change_tier", "add_tierpolicy"]))
    client.force_login(user)
    client.get("/tiers/")

    response = client.post("/tiers/policy/", POLICY_POST)

    assert response.status_code == 200
    assert TierPolicy.objects.count() == 2


def test_merchandisers_hold_every_web_action_permission_but_the_ladder(db):
    from members.web.permissions import user_may

    merchandiser = UserFactory(username="merch", is_staff=False)
    merchandiser.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    allowed = {action for action in WEB_ACTION_PERMISSIONS if user_may(user=merchandiser, action=action)}
    assert allowed == set(WEB_ACTION_PERMISSIONS) - {"tier_policy_save"}


def test_every_web_action_is_documented_in_docs_roles_md():
    roles = (ROOT / "docs" / "roles.md").read_text()
    for action, permissions in WEB_ACTION_PERMISSIONS.items():
        assert f"`{action}`" in roles
        for permission in permissions:
            assert f"`{permission}`" in roles
