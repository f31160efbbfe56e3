"""`.env` (written by `make demo`): manage.py run by hand finds the database make used; the real
environment still wins."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from memberhub.env import env_file_load
from tests.memberhub.settings.helpers import settings_under


def test_settings_read_the_database_and_redis_from_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("# written by make demo\nDATABASE_URL=postgres://postgres@127.0.0.1:5432/shop_demo\n"
                        "REDIS_URL='redis://127.0.0.1:6379/4'\n")

    values = settings_under(["DATABASES", "CELERY_BROKER_URL"], MEMBERHUB_ENV_FILE=str(env_file))

    assert values["DATABASES"]["default"]["NAME"] == "shop_demo"
    assert values["CELERY_BROKER_URL"] == "redis://127.0.0.1:6379/4"


def test_a_variable_already_set_wins_over_the_env_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("DATABASE_URL=postgres://postgres@127.0.0.1:5432/from_file\n")

    values = settings_under(["DATABASES"], MEMBERHUB_ENV_FILE=str(env_file),
                            DATABASE_URL="postgres://postgres@127.0.0.1:5432/from_env")

    assert values["DATABASES"]["default"]["NAME"] == "from_env"


def test_a_missing_env_file_is_no_error_and_a_malformed_line_names_its_line(tmp_path, monkeypatch):
    assert env_file_load(str(tmp_path / "absent")) == []
    assert env_file_load("") == []
    bad = tmp_path / ".env"
    bad.write_text("DEBUG=1\nthis is not a setting\n")
    monkeypatch.setenv("DEBUG", "0")
    with pytest.raises(ImproperlyConfigured, match=r"line 2: expected KEY=VALUE"):
        env_file_load(str(bad))
