"""Queue a Celery task by its name, now or once the current transaction commits.

Services queue work through these two functions, never by importing a tasks module: tasks call
services, so a service that imported its task would close an import cycle. Task names read
``members.<capability>.<verb>`` and each capability's tasks.py is registered by memberhub/celery.py.

``apply_async`` on the registered task (not ``send_task``) keeps the first-run mode without a
broker (CELERY_TASK_ALWAYS_EAGER) running the task in-process, and keeps the routes in
memberhub/celery_settings.py deciding the queue.
"""

import importlib
from collections.abc import Sequence

from celery import current_app
from celery.result import AsyncResult
from django.db import transaction


def task_send(name: str, args: Sequence = (), kwargs: dict | None = None, **options) -> AsyncResult:
    """Send task `name` now, as ``apply_async(args, kwargs, **options)`` would (countdown,
    ignore_result...). Raises when the broker cannot be reached."""
    return _registered(name).apply_async(args=tuple(args), kwargs=kwargs or {}, **options)


def _registered(name: str):
    """The task called `name`, registering its capability's tasks.py first if this process has not
    imported it yet (a cached import: the module is loaded once). Celery's own autodiscovery
    would also run Django's setup and system checks again, on every send."""
    if name not in current_app.tasks:
        capability, _, _verb = name.rpartition(".")
        importlib.import_module(f"{capability}.tasks")
    return current_app.tasks[name]


def task_send_on_commit(name: str, args: Sequence = (), kwargs: dict | None = None, *, robust: bool = True,
                        **options) -> None:
    """Send task `name` once the current transaction commits (at once outside one), so a worker
    never looks for a row that is not committed yet. ``robust``: a broker failure is logged by
    Django instead of raised into the code that committed, whose data is already saved."""
    transaction.on_commit(lambda: task_send(name, args, kwargs, **options), robust=robust)
