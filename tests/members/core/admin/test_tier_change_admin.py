"""The tier-change audit trail: never deleted, never edited once decided, never added by hand."""

import pytest
from django.utils import timezone

from tests.factories import TierChangeFactory

pytestmark = pytest.mark.django_db


def test_decided_tier_change_is_shown_read_only(superuser_client, superuser):
    change = TierChangeFactory(status="applied", decided_by=superuser, decided_at=timezone.now())
    response = superuser_client.get(f"/admin/members/tierchange/{change.pk}/change/")
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    post = superuser_client.post(f"/admin/members/tierchange/{change.pk}/change/", {"reason": "rewritten"})
    assert post.status_code == 403
    change.refresh_from_db()
    assert change.reason == "Qualified by spend"


def test_tier_changes_cannot_be_deleted_even_by_a_superuser(superuser_client):
    change = TierChangeFactory()
    assert superuser_client.get(f"/admin/members/tierchange/{change.pk}/delete/").status_code == 403
    changelist = superuser_client.get("/admin/members/tierchange/")
    assert b"delete_selected" not in changelist.content


def test_tier_changes_cannot_be_added_by_hand(superuser_client):
    assert superuser_client.get("/admin/members/tierchange/add/").status_code == 403


def test_tier_changes_filter_by_status_source_and_target_tier(superuser_client, superuser):
    applied = TierChangeFactory(status="applied", source="manual", decided_by=superuser, decided_at=timezone.now())
    TierChangeFactory(status="proposed", source="evaluation")
    response = superuser_client.get(
        "/admin/members/tierchange/",
        {"status__exact": "applied", "source__exact": "manual", "to_tier__id__exact": applied.to_tier_id},
    )
    assert list(response.context["cl"].result_list) == [applied]


def test_a_proposed_tier_change_can_still_be_corrected(superuser_client):
    change = TierChangeFactory(status="proposed")
    response = superuser_client.post(
        f"/admin/members/tierchange/{change.pk}/change/",
        {"to_tier": change.to_tier_id, "reason": "Qualified by spend and orders"},
    )
    assert response.status_code == 302
    change.refresh_from_db()
    assert (change.reason, change.status) == ("Qualified by spend and orders", "proposed")
