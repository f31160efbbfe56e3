"""The wire side of webhooks: the signed request and one HTTP POST. No database access here.

Standard library only (http.client), so that connect and read timeouts can differ and redirects
are never followed: a receiver that answers 3xx has not accepted the event.
"""

import http.client
import json
from collections.abc import Iterable
from dataclasses import dataclass

from members.partners.services.webhook_signing import legacy_signature, signature_headers
from members.partners.services.webhook_url_guard import (
    WebhookUrlRefused,
    parse_allowed_networks,
    pinned_connection,
    webhook_target_resolve,
)

# Seconds. A receiver should answer quickly and do its work later; these bound a worker's wait.
WEBHOOK_CONNECT_TIMEOUT = 5
WEBHOOK_READ_TIMEOUT = 10
WEBHOOK_USER_AGENT = "MemberHub-Webhooks/1"


def webhook_body(*, event: str, event_id: str, data: dict) -> bytes:
    """The request body: a compact JSON envelope. The same event always yields the same bytes."""
    envelope = {"id": event_id, "event": event, "data": data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The legacy X-MemberHub-Signature value (see webhook_signing.legacy_signature)."""
    return legacy_signature(secret=secret, timestamp=timestamp, body=body)


def webhook_headers(
    *, event: str, event_id: str, timestamp: int, secret: str, body: bytes, scheme: str
) -> dict[str, str]:
    """Content type, our event name, and the signature headers of `scheme` (standard or legacy)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": WEBHOOK_USER_AGENT,
        "X-MemberHub-Event": event,
        # The event id under our own name too, in both schemes: receivers built on the legacy
        # headers de-duplicate on it (Standard Webhooks sends it again as webhook-id).
        "X-MemberHub-Delivery": event_id,
        **signature_headers(scheme=scheme, secret=secret, event_id=event_id, timestamp=timestamp, body=body),
    }


@dataclass(frozen=True)
class HttpResult:
    """What one POST did: a status code and the start of the body, or an error in words."""

    status_code: int | None
    body_excerpt: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def http_post(
    *, url: str, body: bytes, headers: dict[str, str], excerpt_bytes: int, allowed_networks: Iterable[str] = ()
) -> HttpResult:
    """POST `body` to `url`; never raises for network trouble, which is the receiver's failure.

    The host is resolved and checked first (webhook_url_guard): an internal address is refused
    without connecting, and the connection goes to the checked address only.
    """
    try:
        target = webhook_target_resolve(url, allowed=parse_allowed_networks(allowed_networks))
    except (WebhookUrlRefused, UnicodeError) as exc:
        return HttpResult(status_code=None, body_excerpt="", error=str(exc))
    except OSError as exc:
        return HttpResult(status_code=None, body_excerpt="", error=f"Could not resolve the host: {exc}".strip())
    path = target.path
    connection = pinned_connection(target, timeout=WEBHOOK_CONNECT_TIMEOUT)
    try:
        connection.connect()
        connection.sock.settimeout(WEBHOOK_READ_TIMEOUT)
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(excerpt_bytes).decode("utf-8", errors="replace")
        error = "" if 200 <= response.status < 300 else f"HTTP {response.status} {response.reason}".strip()
        return HttpResult(status_code=response.status, body_excerpt=excerpt, error=error)
    except TimeoutError:
        return HttpResult(
            status_code=None,
            body_excerpt="",
            error=f"Timed out (connect {WEBHOOK_CONNECT_TIMEOUT} s, read {WEBHOOK_READ_TIMEOUT} s).",
        )
    except (OSError, http.client.HTTPException) as exc:
        return HttpResult(status_code=None, body_excerpt="", error=f"{type(exc).__name__}: {exc}".strip())
    finally:
        connection.close()
