import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import OPERATIONS_GROUP
from tests.factories import UserFactory


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def operations_user(db):
    """A staff user whose only permissions come from the Operations group (built on migrate)."""
    user = UserFactory(username="operator")
    user.groups.add(Group.objects.get(name=OPERATIONS_GROUP))
    return user


@pytest.fixture
def operations_client(client, operations_user):
    client.force_login(operations_user)
    return client


@pytest.fixture(autouse=True)
def _warm_content_type_cache(db):
    """Change pages read their model's ContentType once per process (then it is cached); warming it
    keeps pinned query counts independent of which test ran first."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.get_for_models(*apps.get_app_config("members").get_models())
