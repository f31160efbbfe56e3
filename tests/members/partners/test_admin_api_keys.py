import pytest

from members.models import ApiKey
from tests.factories import UserFactory


@pytest.mark.django_db
def test_admin_shows_a_new_key_once_and_revokes_it(client):
    client.force_login(UserFactory(username="root", is_superuser=True))
    r = client.post("/admin/members/apikey/add/", {"name": "P", "scopes": ["members:read"]}, follow=True)
    assert r.status_code == 200 and b"mh_" in r.content, r.content[:3000]
    key = ApiKey.objects.get()
    r = client.post("/admin/members/apikey/", {"action": "revoke_keys", "_selected_action": [key.pk]}, follow=True)
    key.refresh_from_db(); assert key.revoked_at is not None
    assert client.get("/admin/members/apikey/").status_code == 200
