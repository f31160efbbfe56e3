"""Which queues have a live worker, and how long each queue is, read straight from the Redis broker.

Every worker writes a heartbeat key (its queues, the time) every HEARTBEAT_EVERY seconds from its
main process (celery_signals.py). Readiness and metrics read those keys: one SCAN, no broadcast
to the workers, so a probe answers in milliseconds and never waits for a slow worker.
"""

import json
import time

import redis

HEARTBEAT_PREFIX = "memberhub:worker-heartbeat:"
HEARTBEAT_EVERY = 10  # seconds between a worker's heartbeats
HEARTBEAT_TTL = 120  # the key disappears this long after a worker's last heartbeat
# kombu's Redis transport keeps priorities 3, 6 and 9 in lists named queue + this + priority.
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)
SOCKET_TIMEOUT = 2.0


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT)


def heartbeat_write(
    client: redis.Redis, *, hostname: str, queues: list[str], now: float | None = None
) -> None:
    value = json.dumps({"queues": sorted(queues), "at": time.time() if now is None else now})
    client.set(HEARTBEAT_PREFIX + hostname, value, ex=HEARTBEAT_TTL)


def heartbeat_delete(client: redis.Redis, *, hostname: str) -> None:
    client.delete(HEARTBEAT_PREFIX + hostname)


def live_workers_by_queue(
    client: redis.Redis, *, max_age: float, now: float | None = None
) -> dict[str, list[str]]:
    """{queue: [worker hostnames]} for workers whose last heartbeat is at most `max_age` seconds old."""
    now = time.time() if now is None else now
    keys = list(client.scan_iter(match=HEARTBEAT_PREFIX + "*", count=500))
    by_queue: dict[str, list[str]] = {}
    for key, raw in zip(keys, client.mget(keys) if keys else [], strict=True):
        if raw is None:
            continue
        beat = json.loads(raw)
        if now - float(beat["at"]) > max_age:
            continue
        hostname = key.decode()[len(HEARTBEAT_PREFIX) :]
        for queue in beat["queues"]:
            by_queue.setdefault(queue, []).append(hostname)
    return by_queue


def queue_lengths(client: redis.Redis, *, queues: list[str]) -> dict[str, int]:
    """Messages waiting in each queue (all priorities), in one round trip."""
    pipe = client.pipeline(transaction=False)
    for queue in queues:
        pipe.llen(queue)
        for priority in _PRIORITY_STEPS:
            pipe.llen(f"{queue}{_PRIORITY_SEP}{priority}")
    counts = pipe.execute()
    per_queue = 1 + len(_PRIORITY_STEPS)
    return {queue: sum(counts[i * per_queue : (i + 1) * per_queue]) for i, queue in enumerate(queues)}
