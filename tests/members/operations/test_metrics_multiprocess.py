"""With PROMETHEUS_MULTIPROC_DIR, counts made in separate processes (gunicorn workers, prefork
children) add up in the one exporter: what docs/operations.md tells operators to set."""

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
OBSERVE = "from memberhub.observability import metrics; metrics.observe_task(task='t.demo', seconds=0.2)"
EXPORT = "from memberhub.observability import metrics; print(metrics.event_metrics_text().decode())"


def _python(code: str, multiproc_dir: Path) -> str:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(multiproc_dir)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout


def test_three_processes_counts_are_exported_together(tmp_path):
    folder = tmp_path / "prometheus"  # created by the metrics module itself
    for _ in range(3):
        _python(OBSERVE, folder)
    text = _python(EXPORT, folder)
    assert 'memberhub_celery_task_duration_seconds_count{task="t.demo"} 3.0' in text
