"""Two workers holding the same delivery at the same moment: exactly one sends it."""

import threading

import pytest
from django.db import connection

from members.partners.services.webhooks import webhook_delivery_attempt
from tests.members.partners.webhooks.conftest import WebhookDeliveryFactory, WebhookSubscriptionFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_send_a_delivery_once(receiver):
    # Each thread has its own database connection, so the claims really race in Postgres.
    delivery = WebhookDeliveryFactory(subscription=WebhookSubscriptionFactory(url=receiver.url))
    start = threading.Barrier(6)
    outcomes = []

    def worker():
        start.wait()
        try:
            outcomes.append(webhook_delivery_attempt(delivery_id=delivery.pk).outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(receiver.requests) == 1
    assert sorted(outcomes).count("succeeded") == 1
    assert set(outcomes) <= {"succeeded", "locked", "skipped"}
