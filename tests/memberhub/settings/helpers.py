"""Run Django start-up in a fresh interpreter with exactly the environment a test gives it.

Settings are read once per process, so each configuration needs its own process; the parent's
environment (the suite's DATABASE_URL, REDIS_URL...) is deliberately not inherited.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]

_PRINT_SETTINGS = """
import json, django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in %r}, default=str))
"""


def clean_env(**overrides: str) -> dict[str, str]:
    """A minimal environment: what an interpreter needs to run, plus `overrides`."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR") if key in os.environ}
    env["DJANGO_SETTINGS_MODULE"] = "memberhub.settings"
    env["MEMBERHUB_ENV_FILE"] = ""  # a .env that `make demo` wrote must not leak into "nothing set"
    env.update(overrides)
    return env


def start_django(names: list[str], **env: str) -> subprocess.CompletedProcess:
    """Start Django under `env` and print the named settings as JSON (see settings_under)."""
    return subprocess.run(
        [sys.executable, "-c", _PRINT_SETTINGS % (names,)],
        check=False,
        cwd=REPO_ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_under(names: list[str], **env: str) -> dict:
    """The named settings as Django sees them when started with `env` (and nothing else) set."""
    result = start_django(names, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a dotenv file (comments and blank lines skipped), as docker compose reads them."""
    values = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return values


def random_secret_key() -> str:
    return "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789!@#%^&*(-_=+)") for _ in range(50))
