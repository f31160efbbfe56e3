"""Who and what a log line belongs to: the request id, the caller, the Celery task.

Held in context variables so every log record made while serving a request (or running a task)
carries them without being passed around, in threads and in prefork children alike.
"""

import contextvars
import logging
import re
import uuid

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
actor_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("actor", default=None)
task_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_id", default=None)
task_name_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("task_name", default=None)

# An incoming X-Request-ID is kept only when it is short and plain, so a caller cannot inject
# log lines or huge values; anything else is replaced by a fresh id.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The Celery message header that carries the id of the request (or task) that enqueued a task.
REQUEST_ID_HEADER = "memberhub_request_id"


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted_request_id(raw: str | None) -> str:
    """The caller's id when it is safe to log, else a new one."""
    if raw and _SAFE_REQUEST_ID.match(raw):
        return raw
    return new_request_id()


class ContextFilter(logging.Filter):
    """Adds request_id, actor, task_id and task_name to every record (None outside a request/task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.actor = actor_var.get()
        record.task_id = task_id_var.get()
        record.task_name = task_name_var.get()
        return True
