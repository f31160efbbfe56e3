"""D7: brute-force protection on both login pages (django-axes, settings AXES_*)."""

import pytest
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"  # UserFactory's password


@pytest.fixture
def staff(db):
    return UserFactory(username="ops", is_staff=True, is_superuser=True)


def _logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_fifty_wrong_passwords_lock_the_account_even_for_the_right_one(client, staff, login_url):
    for _ in range(50):
        client.post(login_url, {"username": "ops", "password": "guess"})

    response = client.post(login_url, {"username": "ops", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many sign-in attempts" in response.content.decode()
    assert not _logged_in(client)


@pytest.mark.parametrize("login_url", ["/login/", "/admin/login/"])
def test_the_lock_starts_at_the_failure_limit(client, staff, login_url):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert client.post(login_url, {"username": "ops", "password": "guess"}).status_code in (200, 429)

    assert client.post(login_url, {"username": "ops", "password": PASSWORD}).status_code == 429
    assert not _logged_in(client)


def test_a_few_typos_then_the_right_password_still_logs_in(client, staff):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post("/login/", {"username": "ops", "password": "typo"})

    response = client.post("/login/", {"username": "ops", "password": PASSWORD})

    assert response.status_code == 302 and _logged_in(client)


def test_one_locked_account_does_not_lock_a_colleague(client, staff):
    UserFactory(username="colleague", is_staff=True)
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post("/admin/login/", {"username": "ops", "password": "guess"})

    client.post("/admin/login/", {"username": "colleague", "password": PASSWORD})

    assert _logged_in(client)
