"""The wire side of webhooks: the signed request and one HTTP POST. No database access here.

Standard library only (http.client), so that connect and read timeouts can differ and redirects
are never followed: a receiver that answers 3xx has not accepted the event.
"""

import hashlib
import hmac
import http.client
import json
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

# Seconds. A receiver should answer quickly and do its work later; these bound a worker's wait.
WEBHOOK_CONNECT_TIMEOUT = 5
WEBHOOK_READ_TIMEOUT = 10
WEBHOOK_USER_AGENT = "MemberHub-Webhooks/1"


def webhook_body(*, event: str, event_id: str, data: dict) -> bytes:
    """The request body: a compact JSON envelope. The same event always yields the same bytes."""
    envelope = {"id": event_id, "event": event, "data": data}
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` keyed with the subscription secret."""
    message = f"{timestamp}.".encode("ascii") + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def webhook_headers(*, event: str, event_id: str, timestamp: int, secret: str, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": WEBHOOK_USER_AGENT,
        "X-MemberHub-Event": event,
        "X-MemberHub-Delivery": event_id,
        "X-MemberHub-Timestamp": str(timestamp),
        "X-MemberHub-Signature": webhook_signature(secret=secret, timestamp=timestamp, body=body),
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


def http_post(*, url: str, body: bytes, headers: dict[str, str], excerpt_bytes: int) -> HttpResult:
    """POST `body` to `url`; never raises for network trouble, which is the receiver's failure."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return HttpResult(status_code=None, body_excerpt="", error=f"Not an http(s) URL: {url}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=WEBHOOK_CONNECT_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=WEBHOOK_CONNECT_TIMEOUT)
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
