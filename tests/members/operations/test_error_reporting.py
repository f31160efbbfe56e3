"""Sentry is off unless SENTRY_DSN is set: without it the SDK is not even imported."""

import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk

from memberhub.observability.errors import error_reporting_init

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_without_a_dsn_nothing_is_started_or_imported():
    env = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    code = "import sys, django; django.setup(); import memberhub.urls; print('sentry_sdk' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "memberhub.settings"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
    assert error_reporting_init(dsn="", environment="test", traces_sample_rate=0.0) is False


def test_a_dsn_starts_the_client_with_django_and_celery_integrations():
    try:
        # A DSN nobody listens on: init makes no request; only a captured event would be sent.
        assert error_reporting_init(
            dsn="http://key@127.0.0.1:9/1", environment="test", traces_sample_rate=0.0
        )
        client = sentry_sdk.get_client()
        assert client.is_active()
        assert {"django", "celery"} <= set(client.integrations)
        assert client.options["send_default_pii"] is False
    finally:
        sentry_sdk.get_client().close(timeout=0)
        sentry_sdk.init()  # back to the inactive client for the rest of the run
