"""The LOGGING setting: human-readable lines by default, one JSON object per line when
LOG_FORMAT=json (production). Both carry the request id and, in workers, the task id and name."""

TEXT_FORMAT = (
    "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_name)s:%(task_id)s] %(message)s"
)
# Fields of every JSON line besides the message; `extra={...}` on a log call adds its own keys.
JSON_FIELDS = (
    "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(actor)s %(task_id)s %(task_name)s"
)
LOG_FORMATS = ("text", "json")


def json_formatter():
    """One JSON object per line: time, level, logger, message, the ids, and any `extra` keys."""
    from pythonjsonlogger.json import JsonFormatter

    return JsonFormatter(
        JSON_FIELDS, rename_fields={"asctime": "time", "levelname": "level", "name": "logger"}
    )


def logging_config(*, log_format: str, level: str) -> dict:
    """A dictConfig for Django and the Celery worker alike (memberhub/observability/celery_signals.py
    applies it in workers instead of Celery's own plain-text setup)."""
    formatters = {
        "text": {"format": TEXT_FORMAT},
        "json": {"()": "memberhub.observability.logging.json_formatter"},
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "memberhub.observability.context.ContextFilter"}},
        "formatters": {log_format: formatters[log_format]},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": log_format, "filters": ["context"]}
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}},
    }
