"""scripts/worker.sh starts workers the same way in Docker and outside it."""

import os
import subprocess

from tests.memberhub.settings.helpers import REPO_ROOT


def test_the_worker_script_refuses_to_start_without_a_broker():
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CELERY_BROKER_URL")}

    result = subprocess.run(
        ["scripts/worker.sh", "-Q", "gpu"],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "set REDIS_URL or CELERY_BROKER_URL" in result.stderr
