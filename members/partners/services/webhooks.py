"""Webhook writes: publish events, attempt deliveries, manage subscriptions.

Delivery guarantees, in short: at least once per (event, subscription), signed, retried with
exponential backoff up to settings.WEBHOOK_MAX_ATTEMPTS, never sent by two workers at the same
time (a conditional UPDATE claims a delivery for a short lease) and never re-sent once it has
succeeded, however often its task is delivered. Receivers de-duplicate on the event id.
docs/webhooks.md is the partner-facing description of all this.
"""

import logging
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from members.partners.models.webhook import (
    WEBHOOK_DELIVERY_SENDABLE_STATUSES,
    WEBHOOK_EVENTS,
    WEBHOOK_RESPONSE_EXCERPT_BYTES,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookSubscription,
    generate_webhook_secret,
)
from members.partners.services.webhook_sending import (
    WEBHOOK_CONNECT_TIMEOUT,
    WEBHOOK_READ_TIMEOUT,
    http_post,
    webhook_body,
    webhook_headers,
)
from members.task_queue import task_send

logger = logging.getLogger(__name__)

# A claim outlives the longest possible send (connect + read timeouts) with room to record it.
DELIVERY_LEASE = timedelta(seconds=WEBHOOK_CONNECT_TIMEOUT + WEBHOOK_READ_TIMEOUT + 45)
# A retry may run this early: absorbs clock skew between the worker that scheduled it and the one running it.
DUE_TOLERANCE = timedelta(seconds=5)
# Up to +20 % on each backoff delay, so deliveries that failed together do not retry in lockstep.
RETRY_JITTER = 0.2
DELIVERY_BATCH_SIZE = 1_000


class WebhookError(ValueError):
    """A webhook operation that cannot be done, with a reason a person can read."""


@dataclass(frozen=True)
class AttemptResult:
    """What webhook_delivery_attempt did. `retry_in` (seconds) is set when a task should run again."""

    delivery_id: int
    outcome: str  # succeeded | failed | given_up | skipped | locked
    attempts: int = 0
    retry_in: float | None = None
    detail: str = ""


# ---- publishing ---------------------------------------------------------------------------------


def webhook_event_publish(*, event: str, payload: dict) -> list[WebhookDelivery]:
    """Publish one event: one pending delivery per active subscription to `event`, sent after commit.

    All deliveries of the event share one event_id. Tasks are enqueued in transaction.on_commit,
    so nothing is sent for a transaction that rolls back. Raises WebhookError for an event that is
    not in the registry (members.partners.models.webhook.WEBHOOK_EVENTS). `payload` must be JSON-serialisable.
    """
    return webhook_event_publish_many(event=event, payloads=[payload])


def webhook_event_publish_many(*, event: str, payloads: Sequence[dict],
                               subscription_ids: list[int] | None = None) -> list[WebhookDelivery]:
    """Publish several events of one kind (one event_id each) with one subscription query and
    bulk inserts; otherwise as webhook_event_publish. `subscription_ids` (webhook_subscription_ids)
    saves that query for a publisher that first checked anyone subscribes."""
    if subscription_ids is None:
        subscription_ids = webhook_subscription_ids(event=event)
    return _publish(event=event, payloads=payloads, subscription_ids=subscription_ids)


def webhook_subscription_ids(*, event: str) -> list[int]:
    """The active subscriptions to `event` (one query); WebhookError for an unknown event."""
    return _subscription_ids_for(event)


def _publish(*, event: str, payloads: Sequence[dict], subscription_ids: list[int]) -> list[WebhookDelivery]:
    if not subscription_ids or not payloads:
        return []
    deliveries = []
    for payload in payloads:
        event_id = uuid.uuid4()
        deliveries.extend(
            WebhookDelivery(subscription_id=sid, event=event, event_id=event_id, payload=payload)
            for sid in subscription_ids
        )
    created = WebhookDelivery.objects.bulk_create(deliveries, batch_size=DELIVERY_BATCH_SIZE)
    _enqueue_after_commit([d.pk for d in created])
    return created


def _subscription_ids_for(event: str) -> list[int]:
    if event not in WEBHOOK_EVENTS:
        raise WebhookError(f"Unknown webhook event {event!r}; known events: {', '.join(WEBHOOK_EVENTS)}.")
    # Subscriptions number in the tens, and JSON containment is not portable to the SQLite
    # first-run database, so the event filter runs here rather than in SQL.
    rows = WebhookSubscription.objects.filter(active=True).order_by("pk").values_list("pk", "events")
    return [pk for pk, events in rows if event in (events or [])]


def _enqueue_after_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        # robust: a broker outage is logged, not raised into the caller's already-committed request;
        # those deliveries stay pending and can be sent with the admin's "redeliver".
        transaction.on_commit(lambda: _enqueue(delivery_ids), robust=True)


def _enqueue(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        task_send("members.partners.deliver_webhook", (delivery_id,))


# ---- delivering ---------------------------------------------------------------------------------


def webhook_retry_countdown(*, attempt: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based) before the next one:
    WEBHOOK_RETRY_BASE_SECONDS * 2**(attempt - 1), plus up to RETRY_JITTER of that at random."""
    delay = settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
    return delay * (1 + (rng or random).random() * RETRY_JITTER)


def webhook_delivery_attempt(*, delivery_id: int) -> AttemptResult:
    """Send delivery `delivery_id` once, if it is due and nobody else is sending it; record the result.

    Claims the delivery with a conditional UPDATE (sendable status, due, lease free, subscription
    active -> lease taken, attempts + 1), so concurrent or duplicate tasks cannot both send it and a
    succeeded or given-up delivery is never sent again. A 2xx answer is success and resets the
    subscription's consecutive_failures. Anything else is a failure: the delivery is scheduled for
    a retry (outcome "failed", `retry_in` seconds, also stored as next_attempt_at), or, on attempt
    WEBHOOK_MAX_ATTEMPTS, given up, which counts towards disabling the subscription.
    """
    now = timezone.now()
    lease_until = now + DELIVERY_LEASE
    claimed = WebhookDelivery.objects.filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=now),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + DUE_TOLERANCE),
        pk=delivery_id,
        status__in=WEBHOOK_DELIVERY_SENDABLE_STATUSES,
        # A subquery, not a join: Postgres then re-checks the conditions above on the row it locks,
        # which is what makes this UPDATE a safe claim between concurrent workers.
        subscription__in=WebhookSubscription.objects.filter(active=True).values("pk"),
    ).update(locked_until=lease_until, attempts=F("attempts") + 1, last_attempt_at=now)
    if claimed != 1:
        return _not_claimed(delivery_id=delivery_id, now=now)

    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    timestamp = int(time.time())
    body = webhook_body(event=delivery.event, event_id=str(delivery.event_id), data=delivery.payload)
    headers = webhook_headers(
        event=delivery.event,
        event_id=str(delivery.event_id),
        timestamp=timestamp,
        secret=subscription.secret,
        body=body,
        scheme=subscription.signature_scheme,
    )
    result = http_post(
        url=subscription.url,
        body=body,
        headers=headers,
        excerpt_bytes=WEBHOOK_RESPONSE_EXCERPT_BYTES,
        allowed_networks=settings.WEBHOOK_ALLOWED_NETWORKS,
    )

    finished = timezone.now()
    recorded = {
        "last_status_code": result.status_code,
        "last_error": result.error,
        "response_body": result.body_excerpt,
        "locked_until": None,
    }
    mine = WebhookDelivery.objects.filter(pk=delivery_id, locked_until=lease_until)
    with transaction.atomic():
        if result.ok:
            outcome = AttemptResult(delivery_id, WebhookDeliveryStatus.SUCCEEDED, delivery.attempts)
            updated = mine.update(
                status=WebhookDeliveryStatus.SUCCEEDED,
                delivered_at=finished,
                next_attempt_at=None,
                **recorded,
            )
            if updated:
                WebhookSubscription.objects.filter(pk=subscription.pk, consecutive_failures__gt=0).update(
                    consecutive_failures=0
                )
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            outcome = AttemptResult(
                delivery_id, WebhookDeliveryStatus.GIVEN_UP, delivery.attempts, detail=result.error
            )
            updated = mine.update(status=WebhookDeliveryStatus.GIVEN_UP, next_attempt_at=None, **recorded)
            if updated:
                _count_given_up(subscription_id=subscription.pk, last_error=result.error, now=finished)
        else:
            countdown = webhook_retry_countdown(attempt=delivery.attempts)
            outcome = AttemptResult(
                delivery_id,
                WebhookDeliveryStatus.FAILED,
                delivery.attempts,
                retry_in=countdown,
                detail=result.error,
            )
            updated = mine.update(
                status=WebhookDeliveryStatus.FAILED,
                next_attempt_at=finished + timedelta(seconds=countdown),
                **recorded,
            )
    if not updated:
        # The send outlived its lease and another worker claimed the delivery; its record stands.
        logger.warning("Webhook delivery %s: lease lost while sending; result not recorded.", delivery_id)
        return AttemptResult(delivery_id, "skipped", delivery.attempts, detail="lease lost")
    return outcome


def _not_claimed(*, delivery_id: int, now) -> AttemptResult:
    delivery = (
        WebhookDelivery.objects.filter(pk=delivery_id)
        .values("status", "attempts", "locked_until", "next_attempt_at", "subscription__active")
        .first()
    )
    if delivery is None:
        return AttemptResult(delivery_id, "skipped", detail="no such delivery")
    attempts = delivery["attempts"]
    if delivery["status"] not in WEBHOOK_DELIVERY_SENDABLE_STATUSES:
        return AttemptResult(delivery_id, "skipped", attempts, detail=f"already {delivery['status']}")
    if delivery["locked_until"] and delivery["locked_until"] >= now:
        # Another worker is sending it. Look again once its lease is over, in case that worker died.
        wait = (delivery["locked_until"] - now).total_seconds() + 1
        return AttemptResult(delivery_id, "locked", attempts, retry_in=wait, detail="being sent elsewhere")
    if not delivery["subscription__active"]:
        gave_up = WebhookDelivery.objects.filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now),
            pk=delivery_id,
            status__in=WEBHOOK_DELIVERY_SENDABLE_STATUSES,
        ).update(
            status=WebhookDeliveryStatus.GIVEN_UP,
            last_error="Not sent: the subscription is disabled.",
            next_attempt_at=None,
        )
        if gave_up:
            return AttemptResult(
                delivery_id, WebhookDeliveryStatus.GIVEN_UP, attempts, detail="subscription disabled"
            )
        return AttemptResult(delivery_id, "skipped", attempts, detail="changed meanwhile")
    # Not due yet: whoever set next_attempt_at also scheduled the task that will send it.
    return AttemptResult(delivery_id, "skipped", attempts, detail="not due yet")


def _count_given_up(*, subscription_id: int, last_error: str, now) -> None:
    threshold = settings.WEBHOOK_DISABLE_AFTER_FAILURES
    WebhookSubscription.objects.filter(pk=subscription_id).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    disabled = WebhookSubscription.objects.filter(
        pk=subscription_id, active=True, consecutive_failures__gte=threshold
    ).update(
        active=False,
        disabled_at=now,
        disabled_reason=(
            f"Disabled automatically: {threshold} deliveries in a row were given up after "
            f"{settings.WEBHOOK_MAX_ATTEMPTS} attempts each. Last error: {last_error or 'none recorded'}"
        ),
    )
    if disabled:
        logger.warning(
            "Webhook subscription %s disabled after %s given-up deliveries.", subscription_id, threshold
        )


# ---- staff actions ------------------------------------------------------------------------------


def webhook_delivery_redeliver(*, delivery_ids: Iterable[int]) -> list[WebhookDelivery]:
    """Send each delivery's event again, as a new delivery with the same event id and payload.

    The original row keeps its record. Deliveries whose subscription is disabled are skipped
    (re-enable it first). The new deliveries are enqueued after commit.
    """
    sources = (
        WebhookDelivery.objects.filter(pk__in=list(delivery_ids), subscription__active=True)
        .order_by("pk")
        .only("subscription_id", "event", "event_id", "payload")
    )
    copies = [
        WebhookDelivery(
            subscription_id=d.subscription_id, event=d.event, event_id=d.event_id, payload=d.payload
        )
        for d in sources
    ]
    created = WebhookDelivery.objects.bulk_create(copies, batch_size=DELIVERY_BATCH_SIZE)
    _enqueue_after_commit([d.pk for d in created])
    return created


def webhook_subscription_create(*, name: str, url: str, events: list[str]) -> WebhookSubscription:
    """Create an active subscription with a fresh secret; raises ValidationError for bad input."""
    subscription = WebhookSubscription(name=name, url=url, events=list(events))
    subscription.full_clean()
    subscription.save()
    return subscription


def webhook_subscription_enable(*, subscription_ids: Iterable[int]) -> int:
    """Re-enable subscriptions and clear their failure count; returns how many were disabled.

    Deliveries given up while disabled stay given up; redeliver them if the receiver needs them.
    """
    return WebhookSubscription.objects.filter(pk__in=list(subscription_ids), active=False).update(
        active=True, consecutive_failures=0, disabled_at=None, disabled_reason=""
    )


def webhook_subscription_disable(*, subscription_ids: Iterable[int], reason: str) -> int:
    """Disable active subscriptions by hand; pending deliveries are given up when their task runs."""
    return WebhookSubscription.objects.filter(pk__in=list(subscription_ids), active=True).update(
        active=False, disabled_at=timezone.now(), disabled_reason=reason
    )


def webhook_subscription_regenerate_secret(*, subscription_ids: Iterable[int]) -> int:
    """Give each subscription a new secret at once (the old one stops verifying); returns the count."""
    ids = list(WebhookSubscription.objects.filter(pk__in=list(subscription_ids)).values_list("pk", flat=True))
    # One UPDATE per subscription, because every secret must differ; subscriptions are few.
    for pk in ids:
        WebhookSubscription.objects.filter(pk=pk).update(secret=generate_webhook_secret())
    return len(ids)
