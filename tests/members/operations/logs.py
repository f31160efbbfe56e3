"""Capture log lines exactly as production writes them: the JSON formatter and the context filter."""

import io
import json
import logging
from contextlib import contextmanager

from memberhub.observability.context import ContextFilter
from memberhub.observability.logging import json_formatter


@contextmanager
def json_log_lines(logger_name: str = ""):
    """Yield a list that fills with the parsed JSON lines logged (at INFO and up) while inside."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(json_formatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger(logger_name)
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        lines.extend(json.loads(line) for line in buffer.getvalue().splitlines() if line.strip())
