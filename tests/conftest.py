import importlib

import pytest

from tests.factories import MemberFactory, UserFactory


@pytest.fixture(autouse=True)
def _english_usd_shop(settings):
    # `make demo LANG=zh` writes LANGUAGE_CODE and SHOP_CURRENCY into .env, which the settings read;
    # the tests assume the defaults whatever demo ran on this machine (tests that need others set them).
    settings.LANGUAGE_CODE = "en"
    settings.SHOP_CURRENCY = "USD"


@pytest.fixture
def staff_user(db):
    return UserFactory(username="ops")


@pytest.fixture
def superuser(db):
    return UserFactory(username="admin", is_superuser=True)


@pytest.fixture
def member(db):
    return MemberFactory()


@pytest.fixture(autouse=True)
def _reference_data_survives_flushes(request):
    """Transactional tests (browser, live server, real workers) end with a flush of every table,
    which also removes the rows migrations create: the tier ladder, the default topics, the staff
    groups. Put them back before each such test so test order never matters."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    from members.accounts.roles import roles_ensure_groups

    importlib.import_module("members.migrations.0002_default_tier_ladder").create_ladder(apps, None)
    importlib.import_module("members.migrations.0010_default_topics").seed_topics(apps, None)
    roles_ensure_groups()


@pytest.fixture
def tasks_to_broker():
    """This test process sends tasks to the broker instead of running them in-process."""
    from memberhub.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = eager
