"""Per-key rate limit, counted in the shared cache (Redis) so every process sees the same count.

Every API request counts, also those refused for a bad or missing key or a missing scope (counted
per address, or per key when the key is good): members/api/views/base.py throttles them too.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.throttling import BaseThrottle

from members.models import ApiKey
from members.operations.services.shared_cache import CACHE_UNAVAILABLE_ERRORS, cache_unavailable_warn

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/min' -> (600, 60). Raises ValueError on anything else, so a bad setting fails loudly."""
    count, _, period = rate.partition("/")
    seconds = _PERIODS.get(period.strip()[:1].lower())
    if not count.strip().isdigit() or seconds is None:
        raise ValueError(f"API_THROTTLE_RATE {rate!r} is not like '600/min'")
    return int(count), seconds


# Counts for when the shared cache is unreachable: this process's own, bounded like any LocMemCache.
_local_counts = LocMemCache("api-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def _count(counts, key: str, *, timeout: int) -> int:
    """Add one to `key` in `counts` (a cache) and return the new count; the first add opens the window.

    incr first: inside a window (every request but the first) that is the only call to the cache.
    """
    try:
        return counts.incr(key)
    except ValueError:  # no window yet (or it just expired): open one, unless another process did
        if counts.add(key, 1, timeout=timeout):
            return 1
    try:
        return counts.incr(key)
    except ValueError:  # expired between add and incr: this request opens the window
        counts.add(key, 1, timeout=timeout)
        return 1


class ApiKeyRateThrottle(BaseThrottle):
    """A fixed-window counter per API key (per user for staff sessions, per address otherwise).

    cache.incr is atomic in Redis, so concurrent workers never under-count. The rate is read from
    settings.API_THROTTLE_RATE on every request (override_settings works in tests).
    """

    def allow_request(self, request, view) -> bool:
        limit, period = parse_rate(settings.API_THROTTLE_RATE)
        now = time.time()
        window = int(now // period)
        key = f"api-throttle:{self._ident(request)}:{period}:{window}"
        try:
            count = _count(cache, key, timeout=period + 1)
        except CACHE_UNAVAILABLE_ERRORS as exc:
            # Redis down: keep limiting, per process, rather than fail every request (issue 13, D2).
            cache_unavailable_warn(exc=exc, fallback="API rate limits are counted per process")
            count = _count(_local_counts, key, timeout=period + 1)
        self._wait = (window + 1) * period - now
        return count <= limit

    def wait(self) -> float:
        return max(self._wait, 1.0)

    def _ident(self, request) -> str:
        if isinstance(request.auth, ApiKey):
            return f"key:{request.auth.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"addr:{self.get_ident(request)}"
