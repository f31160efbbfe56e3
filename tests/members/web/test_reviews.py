from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from members.reviews.selectors.reviews import review_list_page
from members.reviews.views.reviews import REVIEWS_PAGE_SIZE
from tests.factories import ProductFactory, ReviewFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
ACCESS_QUERIES = 3  # session, user, group check
LIST_QUERIES = ACCESS_QUERIES + 1  # + one page of reviews joined with product and member (no COUNT)


def _at(day: int) -> datetime:
    return datetime(2025, 3, day, 12, 0, tzinfo=UTC)


@pytest.fixture
def reviews(db):
    kettle = ProductFactory(title="Copper kettle", sku="KET-1")
    scarf = ProductFactory(title="Wool scarf", sku="SCF-9")
    return {
        "old_kettle": ReviewFactory(product=kettle, rating=2, created_at=_at(1), title="Leaks"),
        "scarf": ReviewFactory(product=scarf, rating=5, created_at=_at(10), title="So warm"),
        "new_kettle": ReviewFactory(product=kettle, rating=5, created_at=_at(20), title="Boils fast"),
    }


class TestReviewSelector:
    def test_newest_first_with_every_filter(self, reviews):
        assert [r.title for r in review_list_page(page=1, page_size=10).reviews] == ["Boils fast", "So warm", "Leaks"]
        assert [r.title for r in review_list_page(page=1, page_size=10, rating=5).reviews] == ["Boils fast", "So warm"]
        assert [r.title for r in review_list_page(page=1, page_size=10, product_query="kettle").reviews] == [
            "Boils fast", "Leaks"
        ]
        assert [r.title for r in review_list_page(page=1, page_size=10, product_query="scf-9").reviews] == ["So warm"]
        dated = review_list_page(page=1, page_size=10, created_from=_at(10).date(), created_to=_at(20).date())
        assert [r.title for r in dated.reviews] == ["Boils fast", "So warm"]  # both ends included

    def test_pages_know_about_a_next_page_from_one_extra_row(self, reviews):
        first = review_list_page(page=1, page_size=2)
        second = review_list_page(page=2, page_size=2)
        assert (len(first.reviews), first.has_next, first.has_previous) == (2, True, False)
        assert ([r.title for r in second.reviews], second.has_next, second.has_previous) == (["Leaks"], False, True)


class TestReviewListView:
    def test_full_page_has_the_form_and_the_results(self, reviews, merch_client, django_assert_num_queries):
        with django_assert_num_queries(LIST_QUERIES):
            response = merch_client.get("/reviews/")
        html = response.content.decode()
        assert "<html" in html and 'hx-push-url="true"' in html and 'id="review-table"' in html
        assert 'aria-current="page">Reviews<' in html
        assert html.index("Boils fast") < html.index("So warm") < html.index("Leaks")

    def test_htmx_gets_only_the_results_and_the_tidy_url_to_push(self, reviews, merch_client):
        response = merch_client.get("/reviews/?rating=5&q=&date_from=&date_to=", **HTMX)
        html = response.content.decode()
        assert "<html" not in html and "<form" not in html
        assert "Boils fast" in html and "So warm" in html and "Leaks" not in html
        assert response["HX-Push-Url"] == "/reviews/?rating=5"
        assert "HX-Request" in response["Vary"]

    def test_a_direct_load_keeps_the_filters_in_the_form(self, reviews, merch_client):
        html = merch_client.get("/reviews/?rating=2&q=kettle").content.decode()
        assert '<option value="2" selected>' in html
        assert 'value="kettle"' in html
        assert "Leaks" in html and "Boils fast" not in html

    def test_query_count_does_not_grow_with_the_page(self, db, merch_client, django_assert_num_queries):
        ReviewFactory.create_batch(REVIEWS_PAGE_SIZE + 5, created_at=_at(5))
        with django_assert_num_queries(LIST_QUERIES):
            html = merch_client.get("/reviews/", **HTMX).content.decode()
        assert html.count("<tr>") == REVIEWS_PAGE_SIZE + 1  # header row + one page
        assert 'href="/reviews/?page=2"' in html
        with django_assert_num_queries(LIST_QUERIES):
            html = merch_client.get("/reviews/?page=2", **HTMX).content.decode()
        assert html.count("<tr>") == 5 + 1
        assert 'rel="next"' not in html
        assert 'href="/reviews/"' in html  # back to page 1

    def test_pagination_links_keep_the_filters(self, db, merch_client):
        ReviewFactory.create_batch(REVIEWS_PAGE_SIZE + 1, rating=3, created_at=_at(5))
        html = merch_client.get("/reviews/?rating=3", **HTMX).content.decode()
        assert 'href="/reviews/?rating=3&amp;page=2"' in html

    def test_bad_filters_come_back_as_errors_without_querying_reviews(
        self, reviews, merch_client, django_assert_num_queries
    ):
        with django_assert_num_queries(ACCESS_QUERIES):
            response = merch_client.get("/reviews/?rating=9&date_from=2025-03-10&date_to=2025-03-01", **HTMX)
        html = response.content.decode()
        assert response.status_code == 200
        assert "Please check the filters" in html
        assert "The end date is before the start date." in html
        assert "HX-Push-Url" not in response

    def test_sentiment_and_topics_columns_appear_once_reviews_are_scored(self, reviews, merch_client):
        assert "<th>Sentiment</th>" not in merch_client.get("/reviews/").content.decode()
        reviews["scarf"].sentiment = "positive"
        reviews["scarf"].topics = ["warmth", {"label": "fit"}]
        reviews["scarf"].scored_at = timezone.now() - timedelta(minutes=1)
        reviews["scarf"].save()
        html = merch_client.get("/reviews/").content.decode()
        assert "<th>Sentiment</th>" in html and "<th>Topics</th>" in html
        assert 'pill-positive">Positive<' in html
        # A topic code reads as words ("warmth" -> "Warmth", "size_fit" -> "Size and fit"), a dict by its label.
        assert '<span class="pill">Warmth</span>' in html and '<span class="pill">fit</span>' in html
