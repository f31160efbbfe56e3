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

from members.api.scopes import unknown_scopes
from members.models import ApiKey
from members.services.shared_cache import CACHE_UNAVAILABLE_ERRORS, cache_unavailable_warn

KEY_MARKER = "mh"
PREFIX_LENGTH = 8
SECRET_BYTES = 32
# last_used_at is informational: one write a minute per key instead of one per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


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
    """Revoke the key with `prefix` (idempotent: a revoked key keeps its first revocation time)."""
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None:
        raise ApiKeyError(f"No API key with prefix {prefix!r}.")
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db(fields=["revoked_at"])
    return key


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The active key matching `raw_key`, or None (malformed, unknown, wrong secret or revoked).

    One indexed query by prefix; the secret is compared in constant time.
    """
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARKER or len(parts[1]) != PREFIX_LENGTH or not parts[2]:
        return None
    key = ApiKey.objects.filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.hashed_key, _hash(raw_key)):
        return None
    if key.revoked_at is not None:
        return None
    return key


def api_key_mark_used(*, api_key: ApiKey) -> None:
    """Record use at most once per LAST_USED_RESOLUTION per key (a cache.add gate, shared by processes).

    Without the cache (Redis down) the gate is the row itself: a conditional UPDATE that only
    writes when the stored time is older than the resolution, so the request still succeeds.
    """
    gate = f"apikey-used:{api_key.pk}"
    now = timezone.now()
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
