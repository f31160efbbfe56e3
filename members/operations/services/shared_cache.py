"""The shared cache (Redis) as a helper that may be down: what to catch, and one warning a minute.

Rate-limit counters and "last used" gates live in the cache. When Redis is unreachable those
callers carry on without it (a per-process count, a database check) instead of failing the
request: Redis down must not take the partner API down with it (issue 13, D2).
"""

import logging
import time

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What Django's Redis cache raises when the server is down, restarting or too slow.
CACHE_UNAVAILABLE_ERRORS = (RedisError, OSError)
WARN_EVERY_SECONDS = 60.0

_last_warned = 0.0


def cache_unavailable_warn(*, exc: Exception, fallback: str) -> None:
    """Log that the shared cache failed and what we do instead, at most once a minute per process."""
    global _last_warned
    now = time.monotonic()
    if now - _last_warned >= WARN_EVERY_SECONDS or _last_warned == 0.0:
        _last_warned = now
        logger.warning("Shared cache unavailable (%s); %s until it is back.", exc, fallback)
