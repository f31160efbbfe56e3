import pytest

from members.models import Segment
from members.segments.services.segments import segments_refresh
from members.segments.services.segments_rules import segment_rule_save
from ml.member_models.segmentation import SegmentationConfig
from tests.factories import ReviewFactory
from tests.members.segments.conftest import AS_OF, GROUP_SIZE, make_population

HTMX = {"HTTP_HX_REQUEST": "true"}
ACCESS_QUERIES = 3  # session, user, group check


@pytest.fixture
def segmented(db):
    population = make_population()
    segments_refresh(as_of=AS_OF, config=SegmentationConfig(k=3))
    return population


def _builder_post(**conditions):
    data = {"match": "all", "g0-match": "all", "name": "Big spenders"}
    for i, (field, op, value) in enumerate(conditions.values()):
        data.update({f"g0-c{i}-field": field, f"g0-c{i}-op": op, f"g0-c{i}-value": value})
    return data


@pytest.mark.parametrize("reviews", [0, 4])
def test_segments_page_query_count_is_pinned(merch_client, segmented, django_assert_num_queries, reviews):
    for member_id in segmented["loyal"][:reviews]:
        ReviewFactory(member_id=member_id, sentiment="positive")
    segment_rule_save(
        definition={
            "match": "all",
            "groups": [{"match": "all", "conditions": [{"field": "tier", "op": "eq", "value": "gold"}]}],
        },
        name="Gold members",
    )
    # access; segments, snapshots (trend + size), churn mix, sentiment mix, sample members
    with django_assert_num_queries(ACCESS_QUERIES + 5):
        html = merch_client.get("/segments/").content.decode()
    assert html.count('class="card segment-card"') == 4 and "Gold members" in html and "<svg" in html
    assert f">{GROUP_SIZE}<" in html and "Tier is gold" in html


def test_segments_nav_item_is_live(merch_client, segmented):
    html = merch_client.get("/").content.decode()
    assert 'href="/segments/"' in html


def test_segment_detail_shows_stats_and_members(merch_client, segmented, django_assert_num_queries):
    segment = Segment.objects.get(members__pk=segmented["loyal"][0])
    # access; segment, latest as_of, stats x2, churn as_of, churn mix, sentiment mix, members, trend
    with django_assert_num_queries(ACCESS_QUERIES + 9):
        html = merch_client.get(f"/segments/{segment.pk}/").content.decode()
    assert f'data-stat="size">{GROUP_SIZE}<' in html and "Dresses (60%)" in html
    assert html.count("/members/M") >= GROUP_SIZE


def test_renaming_inline_swaps_the_name_block_and_survives_a_refresh(merch_client, segmented):
    segment = Segment.objects.get(members__pk=segmented["loyal"][0])
    form = merch_client.get(f"/segments/{segment.pk}/rename/", **HTMX).content.decode()
    assert 'name="name"' in form and "<html" not in form
    html = merch_client.post(f"/segments/{segment.pk}/rename/", {"name": "VIPs"}, **HTMX).content.decode()
    assert "VIPs" in html and "Rename" in html
    segments_refresh(as_of=AS_OF, config=SegmentationConfig(k=3))
    assert Segment.objects.get(pk=segment.pk).name == "VIPs"


def test_a_blank_name_is_refused_with_the_form_again(merch_client, segmented):
    segment = Segment.objects.get(members__pk=segmented["loyal"][0])
    response = merch_client.post(f"/segments/{segment.pk}/rename/", {"name": "  "}, **HTMX)
    assert response.status_code == 422 and "A segment needs a name." in response.content.decode()


def test_preview_counts_members_live(merch_client, segmented):
    data = _builder_post(a=("monetary_365", "gte", "500"), b=("tier", "eq", "gold"))
    html = merch_client.post("/segments/preview/", data, **HTMX).content.decode()
    assert f'data-stat="preview-size">{GROUP_SIZE}<' in html
    html = merch_client.post(
        "/segments/preview/", _builder_post(a=("nope", "gte", "1")), **HTMX
    ).content.decode()
    assert "unknown field" in html


def test_builder_adds_a_condition_row_without_saving(merch_client, segmented):
    data = {**_builder_post(a=("monetary_365", "gte", "500")), "action": "add_condition:0"}
    html = merch_client.post("/segments/new/", data, **HTMX).content.decode()
    assert 'name="g0-c1-field"' in html and "<html" not in html
    assert not Segment.objects.filter(kind="rule").exists()


def test_saving_a_rule_segment_redirects_to_it(merch_client, segmented):
    data = {**_builder_post(a=("monetary_365", "gte", "500")), "action": "save"}
    response = merch_client.post("/segments/new/", data, **HTMX)
    segment = Segment.objects.get(kind="rule")
    assert response["HX-Redirect"] == f"/segments/{segment.pk}/"
    html = merch_client.get(f"/segments/{segment.pk}/").content.decode()
    assert f'data-stat="size">{GROUP_SIZE}<' in html and "Spend, last 365 days at least 500" in html


def test_saving_an_invalid_rule_shows_the_errors(merch_client, segmented):
    data = {**_builder_post(a=("monetary_365", "gte", "many")), "action": "save", "name": ""}
    html = merch_client.post("/segments/new/", data, **HTMX).content.decode()
    assert "needs a number" in html and not Segment.objects.filter(kind="rule").exists()


def test_the_builder_page_renders_on_direct_load(merch_client, db):
    html = merch_client.get("/segments/new/").content.decode()
    assert (
        "<html" in html
        and 'name="g0-c0-field"' in html
        and 'hx-trigger="load, input changed delay:400ms' in html
    )


def test_the_builder_shows_a_hint_not_errors_before_anything_is_typed(merch_client, segmented):
    html = merch_client.post("/segments/preview/", _builder_post(a=("monetary_365", "gte", "")), **HTMX).content.decode()
    assert "type a value" in html and "preview-errors" not in html
