"""A real HTTP receiver on 127.0.0.1 (random port) and webhook factories for the webhook tests."""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import factory
import pytest

from members.models import WebhookDelivery, WebhookSubscription


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers every POST with `status` and `body`, or with the next of `statuses` while any are left."""

    url: str
    status: int = 204
    response_body: bytes = b""
    statuses: list[int] = field(default_factory=list)
    requests: list[ReceivedRequest] = field(default_factory=list)


@pytest.fixture(autouse=True)
def _local_receivers_allowed(settings):
    """The receiver below listens on 127.0.0.1, which webhooks refuse unless explicitly allowed
    (the SSRF guard); these tests allow exactly that address, as an on-premise setup would."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def receiver():
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.requests.append(
                ReceivedRequest(path=self.path, headers=dict(self.headers.items()), body=body)
            )
            status = state.statuses.pop(0) if state.statuses else state.status
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", str(len(state.response_body)))
            self.end_headers()
            self.wfile.write(state.response_body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/memberhub?source=test"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Partner {n}")
    url = "http://127.0.0.1:9/unused"
    events = factory.LazyFunction(lambda: ["tier.changed"])


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    event = "tier.changed"
    payload = factory.LazyFunction(lambda: {"member_external_id": "M0000001", "to_tier": "silver"})


@pytest.fixture
def subscription(db, receiver):
    return WebhookSubscriptionFactory(url=receiver.url)


@pytest.fixture
def webhook_settings(settings):
    """Small numbers so tests reach the limits quickly."""
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    return settings
