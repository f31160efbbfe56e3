"""`manage.py refresh_members` on an empty shop and with a bad date (the end-to-end run on a shop is
in test_churn_service.py, whose tests all share one synthetic shop: an empty one needs its own module)."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


@pytest.fixture
def artifacts(settings, tmp_path):
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    return tmp_path


def test_refresh_members_on_a_shop_without_history_warns_instead_of_scoring(artifacts):
    out, err = StringIO(), StringIO()
    call_command("refresh_members", "--as-of", "2026-01-31", stdout=out, stderr=err)
    assert "0 member snapshots" in out.getvalue()
    assert "warning: churn scored nothing" in err.getvalue()


def test_refresh_members_rejects_a_malformed_date():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("refresh_members", "--as-of", "31/01/2026")
