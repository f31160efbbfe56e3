"""`manage.py check --deploy` is clean with the documented production environment, and only then."""

import re
import subprocess
import sys

from tests.memberhub.settings.helpers import REPO_ROOT, clean_env, random_secret_key, read_env_file

PRODUCTION_EXAMPLE = REPO_ROOT / ".env.production.example"
DEVELOPMENT_EXAMPLE = REPO_ROOT / ".env.example"


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        check=False,
        cwd=REPO_ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _production_env() -> dict[str, str]:
    env = read_env_file(PRODUCTION_EXAMPLE)
    assert "CHANGE-ME" in env["SECRET_KEY"], "the example must not ship a usable secret"
    env["SECRET_KEY"] = random_secret_key()
    return env


def test_deploy_check_passes_with_the_production_example():
    result = _check_deploy(_production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_deploy_check_rejects_the_example_secret_key_left_unchanged():
    env = read_env_file(PRODUCTION_EXAMPLE)

    result = _check_deploy(env)

    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout


def test_deploy_check_fails_with_the_local_development_defaults():
    result = _check_deploy(read_env_file(DEVELOPMENT_EXAMPLE))

    assert result.returncode != 0
    output = result.stderr + result.stdout
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016", "security.W018"):
        assert warning in output


def test_every_variable_the_settings_read_is_in_both_example_files():
    settings_source = "".join(
        (REPO_ROOT / "memberhub" / name).read_text() for name in ("settings.py", "celery_settings.py")
    )
    read_by_settings = set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z0-9_]+)"', settings_source))
    assert "DEBUG" in read_by_settings  # the pattern works

    assert read_by_settings - _documented_names(DEVELOPMENT_EXAMPLE) == set()
    assert read_by_settings - _documented_names(PRODUCTION_EXAMPLE) == set()


def _documented_names(path) -> set[str]:
    """Names set in the file, or mentioned in a commented-out `# NAME=` line (left at its default)."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", path.read_text(), flags=re.MULTILINE))
