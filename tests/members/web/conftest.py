import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import MERCHANDISERS_GROUP, OPERATIONS_GROUP
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"  # UserFactory's password


@pytest.fixture
def merchandiser(db):
    user = UserFactory(username="merch", first_name="Mara", last_name="Chandler", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    return user


@pytest.fixture
def operations_user(db):
    user = UserFactory(username="opsperson")
    user.groups.add(Group.objects.get(name=OPERATIONS_GROUP))
    return user


@pytest.fixture
def merch_client(client, merchandiser):
    client.force_login(merchandiser)
    return client
