"""Rows built once and shared by many tests, like Django's setUpTestData, for the synthetic shops
and trained models that take most of this folder's time to build."""

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import transaction
from django.test import override_settings
from threadpoolctl import threadpool_limits


@contextmanager
def kept_until_exit(django_db_blocker, artifact_dir: Path) -> Iterator[Callable]:
    """Keep what is written inside until the context exits, then roll it back.

    Opens a transaction (a savepoint when one is already open). pytest-django's non-transactional
    `django_db` tests run inside it, each in a savepoint of its own that is rolled back after the
    test, so every test starts from exactly these rows and what a test writes never reaches the
    next one. Use it from a module- or class-scoped fixture whose tests are not transactional (those
    flush every table).

    Yields `write(fn)`: runs fn() with the database open, under the settings the per-test autouse
    fixtures give the tests (English, USD, one OpenMP thread), artifacts (model files) going to
    `artifact_dir`; each test then works on a copy of that folder (artifacts_copied).
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()

    def write(fn: Callable):
        settings = override_settings(LANGUAGE_CODE="en", SHOP_CURRENCY="USD", MEMBERHUB_ARTIFACT_DIR=artifact_dir)
        with django_db_blocker.unblock(), settings, threadpool_limits(limits=1):
            return fn()

    try:
        yield write
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def artifacts_copied(shared_dir: Path, settings, tmp_path: Path) -> Path:
    """Point this test's artifact folder at a copy of `shared_dir`.

    The shared versions' rows keep their own artifact paths, but the registry looks up the active
    version's backtest model in the current folder (member_model_backtest_artifact_path), as it
    would had the test trained it; and what the test trains goes to a folder of its own, since a
    version number reused after a rollback must not overwrite another test's artifact (nor hit the
    churn scorer's cache, which is keyed by path)."""
    shutil.copytree(shared_dir, tmp_path, dirs_exist_ok=True)
    settings.MEMBERHUB_ARTIFACT_DIR = tmp_path
    return tmp_path
