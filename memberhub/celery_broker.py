"""The Redis broker as our workers use it: unacknowledged messages carry a lease that live workers renew.

Redis has no real acknowledgements. kombu emulates them: a delivered message is copied into the
`unacked` hash and its delivery tag into the `unacked_index` sorted set, scored with the delivery
time; any worker puts a message whose score is older than the visibility timeout back on its queue.
One fixed timeout cannot suit both a two-hour training run (must not be handed out again while it
runs) and a dead worker's import (should come back within a minute or two), so we turn the score
into a lease (docs/operations.md, "Worker failures"):

- `UnackedLeaseRenewal`, a worker (consumer) step, re-stamps the tags of every message its worker
  holds (running, prefetched or waiting for an ETA) every visibility_timeout / 6 seconds. A message
  whose worker lives is therefore never restored, however long its task runs.
- A worker that dies stops renewing; its messages age past the (short) visibility timeout and the
  next restore sweep of any live worker re-queues them.

`Transport` also works around a kombu 5.7 crash (celery/celery#10205 and related kombu reports): when
Redis drops, celery collects the broken connection (which detaches the transport from it) and then
closes it; closing the channel tries to restore the worker's unacknowledged messages through the
detached transport and raises AttributeError("'NoneType' object has no attribute 'hostname'"), which
celery treats as unrecoverable, so a worker holding unacknowledged tasks exited. Redis is unreachable
at that moment anyway, so nothing could be restored: the messages are still in Redis's unacked set
and come back through the lease expiry above. Tests: tests/faults/test_broker_loss.py and
tests/faults/test_worker_lease.py.
"""

import logging
import threading
import time

import redis
from celery import bootsteps
from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)

# Renew leases this many times per visibility timeout: a renewal may fail (Redis busy, a slow
# host) several times in a row before a live worker's message is handed out again.
RENEWALS_PER_TIMEOUT = 6


class QoS(kombu_redis.QoS):
    def restore_unacked(self, client=None):
        transport = self.channel.connection
        if client is None and (transport is None or transport.client is None):
            # The connection was already collected after a broker failure (see the module doc).
            logger.warning(
                "Broker connection is gone; %d unacknowledged message(s) stay in Redis and are "
                "re-queued when their lease expires.",
                len(self._delivered),
            )
            self._delivered.clear()
            return None
        return super().restore_unacked(client)


class Channel(kombu_redis.Channel):
    QoS = QoS


class Transport(kombu_redis.Transport):
    Channel = Channel


def unacked_index_key(channel) -> str:
    """The sorted set of unacknowledged delivery tags, as kombu names it (with any global prefix)."""
    return f"{channel.global_keyprefix or ''}{channel.unacked_index_key}"


def renew_leases(channel, client: redis.Redis, *, now: float | None = None) -> int:
    """Re-stamp every message `channel` holds unacknowledged with `now`; returns how many.

    ZADD XX only updates tags still in the index: a message acknowledged meanwhile (its tag removed
    by the ack) is not brought back.
    """
    qos = getattr(channel, "_qos", None)
    if qos is None:
        return 0
    for _ in range(3):  # the event loop may add or ack a message while we copy the tags
        try:
            tags = list(qos._delivered)
            break
        except RuntimeError:
            continue
    else:
        return 0
    if not tags:
        return 0
    stamp = time.time() if now is None else now
    client.zadd(unacked_index_key(channel), {tag: stamp for tag in tags}, xx=True)
    return len(tags)


def lease_renew_interval(transport_options: dict) -> float:
    timeout = float(transport_options.get("visibility_timeout") or kombu_redis.Channel.visibility_timeout)
    return max(timeout / RENEWALS_PER_TIMEOUT, 0.5)


class UnackedLeaseRenewal(bootsteps.StartStopStep):
    """Keeps the leases of this worker's unacknowledged messages fresh from a background thread.

    A thread rather than the event loop's timer: it keeps renewing while the loop is busy, and with
    the solo pool, where the task runs in the loop's own thread.
    """

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent, **kwargs):
        super().__init__(parent, **kwargs)
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()

    def start(self, consumer):
        if self._thread is not None and self._thread.is_alive():
            return  # a reconnect restarts the consumer's steps; one thread serves every connection
        conf = consumer.app.conf
        if not str(conf.broker_url or "").startswith(("redis://", "rediss://")):
            return
        self._stopped.clear()
        self._thread = threading.Thread(
            target=self._run,
            args=(consumer, lease_renew_interval(conf.broker_transport_options or {})),
            name="unacked-lease-renewal",
            daemon=True,
        )
        self._thread.start()

    def shutdown(self, consumer):
        self._stopped.set()

    def _run(self, consumer, interval: float) -> None:
        client = redis.Redis.from_url(consumer.app.conf.broker_url, socket_timeout=5, socket_connect_timeout=5)
        failing = False
        while not self._stopped.wait(interval):
            task_consumer = getattr(consumer, "task_consumer", None)
            channel = getattr(task_consumer, "channel", None)
            if channel is None:
                continue  # between connections
            try:
                renew_leases(channel, client)
            except Exception:  # Redis down or failing over: try again next tick
                if not failing:
                    logger.warning("Could not renew the leases of unacknowledged messages", exc_info=True)
                failing = True
            else:
                failing = False
