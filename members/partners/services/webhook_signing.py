"""Signing webhook requests: Standard Webhooks (default) or the legacy MemberHub header.

Standard Webhooks (https://www.standardwebhooks.com/): headers `webhook-id` (our event id, the
same on every retry and redelivery), `webhook-timestamp` (Unix seconds) and `webhook-signature`
(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`, keyed with the base64-decoded secret
after `whsec_`). Signed with the reference `standardwebhooks` package, so receivers verify with
any Standard Webhooks library. No database access here.
"""

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
# The values of members.partners.models.webhook.WebhookSignatureScheme (not imported: the model's
# validation imports this module).
STANDARD = "standard"
LEGACY = "legacy"


class WebhookSecretError(ValueError):
    """A secret that cannot key a Standard Webhooks signature, with what to do about it."""


def standard_secret_key(secret: str) -> bytes:
    """The HMAC key of a `whsec_<standard base64>` secret; raises WebhookSecretError otherwise.

    Stricter than the reference library (which skips characters outside the alphabet) so that a
    secret our receivers' libraries would decode differently is refused here, not at their end.
    """
    encoded = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise WebhookSecretError(
            "This secret is not standard base64, so Standard Webhooks libraries cannot use it: "
            "regenerate the secret (or keep the legacy signature)."
        ) from None
    if len(key) < 24:
        raise WebhookSecretError("The secret is too short for Standard Webhooks (at least 24 bytes).")
    return key


def standard_webhook_headers(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    webhook = Webhook(standard_secret_key(secret))
    signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    signature = webhook.sign(msg_id=message_id, timestamp=signed_at, data=body.decode("utf-8"))
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def legacy_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256 of "{timestamp}.{body}">` keyed with the secret string itself."""
    message = f"{timestamp}.".encode("ascii") + body
    return "sha256=" + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def legacy_webhook_headers(*, secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "X-MemberHub-Timestamp": str(timestamp),
        "X-MemberHub-Signature": legacy_signature(secret=secret, timestamp=timestamp, body=body),
    }


def signature_headers(
    *, scheme: str, secret: str, event_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    if scheme == LEGACY:
        return legacy_webhook_headers(secret=secret, event_id=event_id, timestamp=timestamp, body=body)
    return standard_webhook_headers(secret=secret, message_id=event_id, timestamp=timestamp, body=body)
