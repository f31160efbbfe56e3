"""The changelist paginator: the planner's estimate for a whole big table, exact counts otherwise."""

import pytest
from django.db import connection

from members.admin import paginator as paginator_module
from members.admin.paginator import EstimatedCountPaginator
from members.models import Member
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _analyze_members():
    # ANALYZE sets pg_class.reltuples; inside the test transaction it sees the rows inserted here.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE members_member")


def test_unfiltered_big_table_is_counted_from_the_estimate_without_count(monkeypatch, django_assert_num_queries):
    MemberFactory.create_batch(5)
    _analyze_members()
    monkeypatch.setattr(paginator_module, "ESTIMATE_ABOVE_ROWS", 2)  # make five rows "big"
    paginator = EstimatedCountPaginator(Member.objects.all(), 2)
    # reltuples only; no COUNT(*).
    with django_assert_num_queries(1) as captured:
        assert paginator.count == 5
    assert "COUNT" not in captured.captured_queries[0]["sql"].upper()


def test_filtered_list_is_counted_exactly_even_when_the_table_is_big(monkeypatch, django_assert_num_queries):
    MemberFactory.create_batch(5, country="France")
    MemberFactory.create_batch(2, country="Spain")
    _analyze_members()
    monkeypatch.setattr(paginator_module, "ESTIMATE_ABOVE_ROWS", 2)
    paginator = EstimatedCountPaginator(Member.objects.filter(country="Spain"), 2)
    with django_assert_num_queries(1):
        assert paginator.count == 2


def test_small_table_is_counted_exactly():
    MemberFactory.create_batch(3)
    _analyze_members()
    assert EstimatedCountPaginator(Member.objects.all(), 2).count == 3
