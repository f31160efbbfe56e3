"""Property tests over every operation in the live OpenAPI schema (schemathesis 4, via WSGI):
no 5xx, and every documented response matches its schema."""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import api_key_create
from tests.factories import MemberFactory, OrderItemFactory, ReviewFactory


@pytest.fixture(autouse=True)
def _in_process_requests(settings):
    settings.API_THROTTLE_RATE = "100000/min"  # the fuzzer is not a partner; don't trip the limiter
    # Like Django's test client: a real WSGI request would close the test's connection (and its
    # transaction) when it finishes.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(db):
    # Some rows so reads and reference lookups have something to find.
    review = ReviewFactory()
    OrderItemFactory(order__member=review.member)
    MemberFactory()
    return {"Authorization": f"Bearer {api_key_create(name='fuzzer', scopes=list(ALL_SCOPES)).raw_key}"}


# Loaded at collection (schema generation needs no database). schemathesis.pytest.from_fixture
# would be lazier but sets Function._nodeid, which pytest 9 no longer has.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_never_errors_and_matches_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=[not_a_server_error, response_schema_conformance])
