import pytest

from tests.factories import MemberFactory, UserFactory


@pytest.fixture
def staff_user(db):
    return UserFactory(username="ops")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def member(db):
    return MemberFactory()
