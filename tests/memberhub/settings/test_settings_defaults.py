"""Settings come from the environment: safe defaults for a first run, loud errors for bad values."""

from tests.memberhub.settings.helpers import settings_under, start_django

NAMES = ["DEBUG", "DATABASES", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER", "CACHES"]


def test_with_nothing_set_the_database_is_an_sqlite_file_in_the_project():
    values = settings_under(NAMES)

    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"].endswith("/db.sqlite3")


def test_with_nothing_set_tasks_run_in_process_and_the_cache_is_local():
    values = settings_under(NAMES)

    assert values["CELERY_BROKER_URL"] is None
    assert values["CELERY_TASK_ALWAYS_EAGER"] is True
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_with_nothing_set_debug_is_off():
    assert settings_under(NAMES)["DEBUG"] is False


def test_database_url_selects_postgres():
    values = settings_under(NAMES, DATABASE_URL="postgres://shop:pw@db.internal:5433/memberhub")

    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"]) == ("db.internal", 5433, "memberhub")


def test_redis_url_becomes_the_cache_and_the_broker_and_tasks_go_to_workers():
    values = settings_under(NAMES, REDIS_URL="redis://cache.internal:6379/3")

    assert values["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://cache.internal:6379/3",
        # Short socket timeouts: with Redis down an API request falls back instead of hanging (D2).
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
    }
    assert values["CELERY_BROKER_URL"] == "redis://cache.internal:6379/3"
    assert values["CELERY_TASK_ALWAYS_EAGER"] is False


def test_a_broker_without_redis_cache_still_sends_tasks_to_workers():
    values = settings_under(NAMES, CELERY_BROKER_URL="redis://broker.internal:6379/1")

    assert values["CELERY_TASK_ALWAYS_EAGER"] is False
    assert values["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"


def test_eager_tasks_can_be_forced_with_a_broker_configured():
    values = settings_under(NAMES, REDIS_URL="redis://cache.internal:6379/3", CELERY_TASK_ALWAYS_EAGER="1")

    assert values["CELERY_TASK_ALWAYS_EAGER"] is True


def test_a_bad_boolean_stops_start_up_with_the_variable_named():
    result = start_django(NAMES, DEBUG="maybe")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG='maybe' is not a boolean" in result.stderr


def test_a_bad_integer_stops_start_up_with_the_variable_named():
    result = start_django(NAMES, SECURE_HSTS_SECONDS="a year")

    assert result.returncode != 0
    assert "SECURE_HSTS_SECONDS='a year' is not an integer" in result.stderr
