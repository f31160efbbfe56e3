"""One request, one id: RequestIdMiddleware gives each request an id (the caller's X-Request-ID
when it is plain, else a new one), returns it in the response, puts it on every log line made
while serving the request (and on the tasks the request enqueues, see celery_signals.py), and
ends with one log line and one latency observation per request."""

import logging
import time

from django.utils.functional import SimpleLazyObject, empty

from memberhub.observability import metrics
from memberhub.observability.context import accepted_request_id, actor_var, request_id_var

logger = logging.getLogger("memberhub.request")
# Probes and scrapes arrive every few seconds: logged at DEBUG so they do not drown the rest.
QUIET_VIEWS = frozenset({"healthz", "readyz", "metrics"})


def _actor(request) -> str | None:
    """`key:<prefix>` for an API key, `user:<username>` for a signed-in person, else None.

    Reads only what authentication already loaded: a lazy user nobody looked at stays unloaded,
    so this adds no query to any page.
    """
    auth = getattr(request, "auth", None)
    prefix = getattr(auth, "prefix", None)
    if prefix:
        return f"key:{prefix}"
    user = request.__dict__.get("user")
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.get_username()}"
    return None


def _view_name(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "<unresolved>"  # 404s and redirects before routing: one label, not one per path
    return match.view_name or match._func_path


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = accepted_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        id_token = request_id_var.set(request_id)
        actor_token = actor_var.set(None)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            elapsed = time.perf_counter() - started
            actor = _actor(request)
            actor_var.set(actor)
            view = _view_name(request)
            metrics.observe_request(
                view=view, method=request.method, status=response.status_code, seconds=elapsed
            )
            response["X-Request-ID"] = request_id
            logger.log(
                logging.DEBUG if view in QUIET_VIEWS else logging.INFO,
                "%s %s %s %.1f ms",
                request.method,
                request.path,
                response.status_code,
                elapsed * 1000,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "view": view,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )
            return response
        finally:
            actor_var.reset(actor_token)
            request_id_var.reset(id_token)
