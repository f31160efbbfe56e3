"""The Models page's topic section in a real browser: what serves topics, the versions with their
margins against the keyword rules, and the "Train a topic model" button (htmx) queuing a training
that, with tasks run in-process, adds a version the reloaded page shows."""

import re

import pytest
from django.contrib.auth.models import Group

from members.accounts.roles import MERCHANDISERS_GROUP
from members.reviews.services.topic_models import topic_model_train
from tests.factories import UserFactory
from tests.members.reviews.test_topic_models import judge, make_shop, shop_topics  # noqa: F401  (fixture)
from tests.members.web.test_browser import _log_in, browser, page, sync_api  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not __import__("pathlib").Path("/usr/bin/chromium").exists(),
                       reason="Debian's chromium is not installed at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True),
]


def test_a_merchandiser_sees_the_served_topic_model_and_trains_another(page, live_server, settings):  # noqa: F811
    settings.CELERY_TASK_ALWAYS_EAGER = True
    reviews = make_shop()
    judge(reviews[50:], delivery_without_keyword=True)
    topic_model_train()
    user = UserFactory(username="mara", is_staff=False)  # the factory's password is test_browser's PASSWORD
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))

    _log_in(page, live_server)
    page.goto(f"{live_server.url}/models/")
    section = page.locator("#topic-models")
    sync_api.expect(section.locator("#topic-served")).to_contain_text("the trained topic model topics-v1")
    sync_api.expect(section.locator("#topic-version-table")).to_contain_text(re.compile(r"\+0\.\d{3} \(95% CI"))

    section.get_by_role("button", name="Train a topic model").click()
    sync_api.expect(page.locator("#topic-model-message")).to_contain_text("training on the worker")
    page.reload()
    sync_api.expect(page.locator("#topic-version-table")).to_contain_text("topics-v2")
    # v2 learnt the same as v1: the page says why the active model stays
    sync_api.expect(page.locator("#topic-version-table")).to_contain_text("keeping topics-v1")
