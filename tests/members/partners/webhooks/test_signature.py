"""The verification recipe in docs/webhooks.md accepts our signatures and nothing else."""

import re
import time
from pathlib import Path

import pytest

from members.partners.services.webhook_sending import webhook_body, webhook_headers, webhook_signature

DOCS = Path(__file__).resolve().parents[4] / "docs" / "webhooks.md"


@pytest.fixture(scope="module")
def verify():
    """The documented verify_memberhub_signature, executed from the docs' own code block."""
    text = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    recipe = next(block for block in blocks if "def verify_memberhub_signature" in block)
    namespace: dict = {}
    exec(recipe, namespace)  # noqa: S102 - our own documentation, tested so it stays correct
    return namespace["verify_memberhub_signature"]


def _signed(secret: str, timestamp: int | None = None):
    body = webhook_body(event="tier.changed", event_id="0b6f", data={"to_tier": "gold", "name": "Zoë"})
    timestamp = int(time.time()) if timestamp is None else timestamp
    headers = webhook_headers(
        event="tier.changed", event_id="0b6f", timestamp=timestamp, secret=secret, body=body, scheme="legacy"
    )
    return body, headers


def test_documented_recipe_verifies_our_signature(verify):
    body, headers = _signed("whsec_right")
    assert verify("whsec_right", headers["X-MemberHub-Timestamp"], body, headers["X-MemberHub-Signature"])


def test_documented_recipe_rejects_a_wrong_secret(verify):
    body, headers = _signed("whsec_right")
    assert not verify("whsec_wrong", headers["X-MemberHub-Timestamp"], body, headers["X-MemberHub-Signature"])


def test_documented_recipe_rejects_a_tampered_body(verify):
    body, headers = _signed("whsec_right")
    tampered = body.replace(b"gold", b"platinum")
    assert not verify(
        "whsec_right", headers["X-MemberHub-Timestamp"], tampered, headers["X-MemberHub-Signature"]
    )


def test_documented_recipe_rejects_a_replayed_old_request(verify):
    body, headers = _signed("whsec_right", timestamp=int(time.time()) - 3600)
    assert not verify("whsec_right", headers["X-MemberHub-Timestamp"], body, headers["X-MemberHub-Signature"])


def test_signature_covers_the_timestamp():
    body, _ = _signed("s")
    assert webhook_signature(secret="s", timestamp=1, body=body) != webhook_signature(
        secret="s", timestamp=2, body=body
    )


def test_signature_is_hmac_sha256_hex_of_timestamp_dot_body():
    # Known answer from openssl: printf '1700000000.{}' | openssl dgst -sha256 -hmac key
    assert webhook_signature(secret="key", timestamp=1700000000, body=b"{}") == (
        "sha256=9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
    )
