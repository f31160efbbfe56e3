"""Issuing, checking and revoking partner API keys."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from members.models import ApiKey
from members.operations.services.shared_cache import CACHE_UNAVAILABLE_ERRORS, cache_unavailable_warn
from members.partners.scopes import unknown_scopes

KEY_MARKER = "mh"
PREFIX_LENGTH = 8
SECRET_BYTES = 32
# last_used_at is informational: one write a minute per key instead of one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# How long a key row is reused from the shared cache instead of read per request. Revoking through
# api_key_revoke drops it at once; this bounds how stale any other change to the row can be.
KEY_CACHE_SECONDS = 30


class ApiKeyError(ValueError):
    """A key that cannot be issued or revoked, with a reason a person can read."""


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    raw_key: str  # shown to the person once; never stored


def _hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, name: str, scopes: list[str], created_by=None) -> IssuedApiKey:
    """Issue a key with `scopes`; returns the row and the only copy of the full key."""
    name = (name or "").strip()
    if not name:
        raise ApiKeyError("A key needs a name.")
    scopes = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if not scopes:
        raise ApiKeyError("A key needs at least one scope.")
    if bad := unknown_scopes(scopes):
        raise ApiKeyError(f"Unknown scope(s): {', '.join(bad)}.")
    for _ in range(5):  # 8 hex chars: a clash is rare, but the unique index has the last word
        prefix = secrets.token_hex(PREFIX_LENGTH // 2)
        raw_key = f"{KEY_MARKER}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        try:
            with transaction.atomic():
                key = ApiKey.objects.create(
                    name=name, prefix=prefix, hashed_key=_hash(raw_key), scopes=scopes, created_by=created_by
                )
        except IntegrityError:
            continue
        return IssuedApiKey(api_key=key, raw_key=raw_key)
    raise ApiKeyError("Could not find a free key prefix; try again.")


def api_key_revoke(*, prefix: str) -> ApiKey:
    """Revoke the key with `prefix` (idempotent: a revoked key keeps its first revocation time).

    The cached row is dropped at once and again after commit: inside a caller's transaction other
    requests still read the unrevoked row until the commit, and may cache it again meanwhile. (One
    that read it just before the commit and caches it just after keeps it KEY_CACHE_SECONDS at most.)
    """
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None:
        raise ApiKeyError(f"No API key with prefix {prefix!r}.")
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    _cached_key_forget(prefix)
    transaction.on_commit(lambda: _cached_key_forget(prefix))
    return key


def _cache_key(prefix: str) -> str:
    return f"apikey:{prefix}"


def _cached_key_forget(prefix: str) -> None:
    try:
        cache.delete(_cache_key(prefix))
    except CACHE_UNAVAILABLE_ERRORS as exc:
        # Nothing can be read from a cache that is down; entries left there expire within KEY_CACHE_SECONDS.
        cache_unavailable_warn(exc=exc, fallback="API keys are read from the database")


def _key_by_prefix(prefix: str) -> ApiKey | None:
    """The key row for `prefix`: from the shared cache (KEY_CACHE_SECONDS), else one indexed query.

    Only rows that exist are cached, so guessed prefixes cannot fill the cache.
    """
    try:
        key = cache.get(_cache_key(prefix))
    except CACHE_UNAVAILABLE_ERRORS as exc:
        cache_unavailable_warn(exc=exc, fallback="API keys are read from the database")
        return ApiKey.objects.filter(prefix=prefix).first()
    if key is not None:
        return key
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is not None:
        try:
            cache.set(_cache_key(prefix), key, timeout=KEY_CACHE_SECONDS)
        except CACHE_UNAVAILABLE_ERRORS as exc:
            cache_unavailable_warn(exc=exc, fallback="API keys are read from the database")
    return key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None (malformed, unknown, wrong secret or revoked).

    The row comes from the shared cache when it is there (one indexed query by prefix otherwise);
    the secret is compared in constant time on every request.
    """
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARKER or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    key = _key_by_prefix(parts[1])
    if key is None or not hmac.compare_digest(key.hashed_key, _hash(raw_key)):
        return None
    if key.revoked_at is not None:
        return None
    return key


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record use at most once per LAST_USED_RESOLUTION per key (a cache.add gate, shared by processes).

    Without the cache (Redis down) the gate is the row itself: a conditional UPDATE that only
    writes when the stored time is older than the resolution, so the request still succeeds.
    A row read (or cached) within the resolution of its last use needs neither.
    """
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < LAST_USED_RESOLUTION:
        return
    gate = f"apikey-used:{api_key.pk}"
    try:
        first_this_minute = cache.add(gate, 1, timeout=int(LAST_USED_RESOLUTION.total_seconds()))
    except CACHE_UNAVAILABLE_ERRORS as exc:
        cache_unavailable_warn(exc=exc, fallback="API key use is gated in the database")
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        if ApiKey.objects.filter(stale, pk=api_key.pk).update(last_used_at=now):
            api_key.last_used_at = now
        return
    if first_this_minute:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
