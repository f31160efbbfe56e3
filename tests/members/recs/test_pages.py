from datetime import UTC, datetime

import pytest

from members.models import Recommendation
from members.recs.services import recommendations as service
from members.recs.services.recommendations import recommendations_generate
from tests.factories import MemberFactory, ProductFactory, UserFactory
from tests.members.recs.shop import shop_create
from tests.members.web.conftest import merch_client, merchandiser  # noqa: F401  (fixtures reused)
from tests.ml.recs.conftest import BagOfWordsEncoder

HTMX = {"HTTP_HX_REQUEST": "true"}
GENERATED = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
# session, user, the user's groups (access check), then the page's own queries.
ACCESS_QUERIES = 3


def _recommend(member, count):
    for rank in range(1, count + 1):
        Recommendation.objects.create(member=member, product=ProductFactory(title=f"Wool item {rank}"), rank=rank,
                                      score=1 / rank, reason=f"Because you bought thing {rank}", model_version="v1",
                                      generated_at=GENERATED)


@pytest.fixture
def bow_shop(db, monkeypatch):
    shop = shop_create()
    monkeypatch.setattr(service, "_encoder", lambda location: BagOfWordsEncoder())
    recommendations_generate(model_version="bow")
    return shop


def test_the_page_is_in_the_menu_and_searches_as_you_type(merch_client):  # noqa: F811
    html = merch_client.get("/recommendations/").content.decode()
    assert 'aria-current="page">Recommendations<' in html
    assert 'hx-get="/recommendations/members/"' in html and 'hx-trigger="keyup changed delay:300ms, search"' in html


def test_member_search_returns_links_that_load_the_recommendations(db, merch_client, django_assert_num_queries):  # noqa: F811
    MemberFactory(external_id="ANN", name="Ann Archer")
    MemberFactory(external_id="ZED", name="Zed Zulu")
    with django_assert_num_queries(ACCESS_QUERIES + 1):  # + members with their tier
        html = merch_client.get("/recommendations/members/?q=archer", **HTMX).content.decode()
    assert "Ann Archer" in html and "Zed" not in html and "<html" not in html
    assert 'hx-get="/recommendations/members/ANN/"' in html and 'href="/recommendations/?member=ANN"' in html
    assert "No member matches" in merch_client.get("/recommendations/members/?q=nobody", **HTMX).content.decode()


@pytest.mark.parametrize("count", [2, 10])
def test_a_members_recommendations_take_the_same_queries_however_many(db, merch_client, count,  # noqa: F811
                                                                    django_assert_num_queries):
    member = MemberFactory(external_id="ANN")
    _recommend(member, count)
    with django_assert_num_queries(ACCESS_QUERIES + 2):  # + member with tier, recommendations with products
        html = merch_client.get("/recommendations/members/ANN/", **HTMX).content.decode()
    assert html.count("Because you bought thing") == count
    assert html.index("Wool item 1<") < html.index("Wool item 2<")


def test_direct_load_of_a_member_renders_the_whole_page(db, merch_client):  # noqa: F811
    _recommend(MemberFactory(external_id="ANN", name="Ann Archer"), 1)
    html = merch_client.get("/recommendations/?member=ANN").content.decode()
    assert "<html" in html and "Ann Archer" in html and "Because you bought thing 1" in html
    assert merch_client.get("/recommendations/members/NOPE/").status_code == 404


def test_likely_buyers_of_a_product_leave_out_those_who_bought_it(bow_shop, merch_client, django_assert_num_queries):  # noqa: F811
    # + product, its embedding, its buyers, member embeddings, the chosen members
    with django_assert_num_queries(ACCESS_QUERIES + 5):
        html = merch_client.get("/recommendations/buyers/?product=TEA-BLACK", **HTMX).content.decode()
    assert html.index("Ann Archer") < html.index("Bob Baker")  # Ann drinks tea, Bob wears socks
    assert "GONE" not in html  # closed accounts are not an audience
    bought = merch_client.get("/recommendations/buyers/?product=SOCK", **HTMX).content.decode()
    assert "Bob Baker" not in bought and "Ann Archer" in bought


def test_likely_buyers_of_a_category(bow_shop, merch_client):  # noqa: F811
    html = merch_client.get("/recommendations/buyers/?category=Clothes", **HTMX).content.decode()
    assert html.index("Bob Baker") < html.index("Ann Archer")
    page = merch_client.get("/recommendations/?category=Clothes").content.decode()
    assert '<option value="Clothes" selected>' in page and "Likely buyers of the Clothes category" in page


def test_people_outside_the_merchandiser_groups_are_refused(db, client):
    assert client.get("/recommendations/").status_code == 302
    client.force_login(UserFactory(username="outsider", is_staff=False))
    assert client.get("/recommendations/members/?q=a").status_code == 403
