"""The System page in a real browser: a staff member signs in to the admin, finds the page from
the admin index, and retries a failed import with its button."""

import os
from pathlib import Path

import pytest
from django.utils import timezone

from members.models import ImportJob, ImportJobStatus
from tests.factories import UserFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's event loop beside the sync ORM

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "correct horse battery staple"  # UserFactory's

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium"
    ),
    pytest.mark.django_db(transaction=True),
]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def page():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(10_000)
        yield context.new_page()
        browser.close()


def test_staff_retry_a_failed_import_from_the_system_page(live_server, page, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    UserFactory(username="root", is_superuser=True)
    failed = ImportJob.objects.create(
        kind="orders",
        path="/nowhere/orders.csv",
        status=ImportJobStatus.FAILED,
        error="line 7: unknown member M123",
        finished_at=timezone.now(),
    )

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.click("#system-link a")

    assert page.locator("#readiness-checks").inner_text().count("ok") >= 2
    row = page.locator("table.failed-import tr", has_text="line 7: unknown member M123")
    row.locator("button", has_text="Retry").click()

    assert f"Import {failed.pk} queued again" in page.locator("ul.messagelist").inner_text()
    retried = ImportJob.objects.exclude(pk=failed.pk).get()
    assert retried.path == failed.path
    # Run in-process here: the file does not exist, so the new job fails too and is listed.
    assert retried.status == ImportJobStatus.FAILED
    assert page.locator("table.failed-import tr").count() == 3  # header + two failed imports
