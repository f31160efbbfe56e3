"""Editing and archiving a rule segment from the web app; learned segments keep rename only."""

import pytest

from members.models import Segment, SegmentSnapshot
from members.segments.services.segments import segments_refresh
from members.segments.services.segments_rules import segment_rule_save
from ml.member_models.segmentation import SegmentationConfig
from tests.members.segments.conftest import AS_OF, GROUP_SIZE, make_population

HTMX = {"HTTP_HX_REQUEST": "true"}
ACCESS_QUERIES = 3  # session, user, group check
PERMISSION_QUERIES = 2  # the user's and their groups' permissions (members/web/permissions.py)

BIG_GOLD_OR_NEW = {
    "match": "any",
    "groups": [
        {
            "match": "all",
            "conditions": [
                {"field": "monetary_365", "op": "gte", "value": 500},
                {"field": "tier", "op": "eq", "value": "gold"},
            ],
        },
        {"match": "any", "conditions": [{"field": "recency_days", "op": "empty"}]},
    ],
}


@pytest.fixture
def segmented(db):
    population = make_population()
    segments_refresh(as_of=AS_OF, config=SegmentationConfig(k=3))
    return population


@pytest.fixture
def rule_segment(segmented):
    return segment_rule_save(definition=BIG_GOLD_OR_NEW, name="Gold or new", description="Two groups")


def _edit_post(**extra):
    """The builder's fields for one group: spend in the last 365 days at most 100 (lapsed + new)."""
    data = {
        "match": "all", "g0-match": "all", "name": "Small spenders", "description": "Edited",
        "g0-c0-field": "monetary_365", "g0-c0-op": "lte", "g0-c0-value": "100",
    }  # fmt: skip
    return {**data, **extra}


def test_the_edit_page_is_prefilled_with_the_groups_in_pinned_queries(
    merch_client, rule_segment, django_assert_num_queries
):
    # access; permissions; the rule segment
    with django_assert_num_queries(ACCESS_QUERIES + PERMISSION_QUERIES + 1):
        response = merch_client.get(f"/segments/{rule_segment.pk}/edit/")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and "Edit Gold or new" in html
    assert 'id="rule-name" name="name" maxlength="128" value="Gold or new"' in html
    assert 'value="Two groups"' in html
    assert '<option value="any" selected>any group (OR)</option>' in html
    assert 'name="g0-c0-value" value="500"' in html  # stored as 500.0, shown as typed
    assert 'name="g0-c1-value" value="gold"' in html
    assert '<option value="recency_days" selected>' in html and 'name="g1-c0-field"' in html
    assert '<option value="empty" selected>is empty</option>' in html
    assert f'hx-post="/segments/{rule_segment.pk}/edit/"' in html and 'hx-post="/segments/new/"' not in html
    assert 'hx-post="/segments/preview/"' in html and 'hx-trigger="load, input changed' in html
    assert "Save changes" in html and f'href="/segments/{rule_segment.pk}/"' in html


def test_editing_rows_re_renders_the_builder_without_saving(merch_client, rule_segment):
    data = _edit_post(action="add_condition:0")
    html = merch_client.post(f"/segments/{rule_segment.pk}/edit/", data, **HTMX).content.decode()
    assert 'name="g0-c1-field"' in html and "<html" not in html
    assert f'hx-post="/segments/{rule_segment.pk}/edit/"' in html
    assert Segment.objects.get(pk=rule_segment.pk).rule == rule_segment.rule


def test_saving_an_edit_replaces_the_conditions_and_recounts_the_segment(merch_client, rule_segment):
    assert rule_segment.snapshots.get(as_of=AS_OF).size == 2 * GROUP_SIZE  # loyal + new

    response = merch_client.post(f"/segments/{rule_segment.pk}/edit/", _edit_post(action="save"), **HTMX)

    assert response["HX-Redirect"] == f"/segments/{rule_segment.pk}/"
    segment = Segment.objects.get(pk=rule_segment.pk)
    assert segment.name == "Small spenders" and segment.description == "Edited"
    assert segment.rule == {
        "match": "all",
        "groups": [{"match": "all", "conditions": [{"field": "monetary_365", "op": "lte", "value": 100.0}]}],
    }
    assert SegmentSnapshot.objects.get(segment=segment, as_of=AS_OF).size == 2 * GROUP_SIZE  # lapsed + new
    html = merch_client.get(f"/segments/{segment.pk}/").content.decode()
    assert "Spend, last 365 days at most 100" in html and f'data-stat="size">{2 * GROUP_SIZE}<' in html
    assert Segment.objects.filter(kind="rule").count() == 1  # edited in place, not copied


def test_saving_an_edit_that_shrinks_the_segment_shows_the_new_size(merch_client, rule_segment):
    data = _edit_post(action="save", **{"g0-c0-op": "gte", "g0-c0-value": "500"})
    merch_client.post(f"/segments/{rule_segment.pk}/edit/", data)  # without htmx: a redirect
    assert SegmentSnapshot.objects.get(segment_id=rule_segment.pk, as_of=AS_OF).size == GROUP_SIZE
    html = merch_client.get("/segments/").content.decode()
    assert f'data-stat="size-{rule_segment.pk}">{GROUP_SIZE}<' in html


def test_an_invalid_edit_shows_the_errors_and_keeps_the_old_definition(merch_client, rule_segment):
    data = _edit_post(action="save", **{"g0-c0-value": "lots", "g0-c1-field": "tier", "g0-c1-op": "eq",
                                        "g0-c1-value": "diamond"})  # fmt: skip

    response = merch_client.post(f"/segments/{rule_segment.pk}/edit/", data, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert "group 1, condition 1: Spend, last 365 days needs a number" in html
    assert "group 1, condition 2: unknown tier diamond" in html
    assert 'name="g0-c0-value" value="lots"' in html  # what was typed stays in the form
    segment = Segment.objects.get(pk=rule_segment.pk)
    assert segment.name == "Gold or new" and segment.rule == rule_segment.rule
    assert segment.snapshots.get(as_of=AS_OF).size == 2 * GROUP_SIZE


def test_a_blank_name_is_refused_and_the_page_renders_without_htmx(merch_client, rule_segment):
    response = merch_client.post(f"/segments/{rule_segment.pk}/edit/", _edit_post(action="save", name=" "))
    html = response.content.decode()
    assert "<html" in html and "Give the segment a name." in html and "Edit Gold or new" in html
    assert Segment.objects.get(pk=rule_segment.pk).name == "Gold or new"


def test_the_rule_segment_detail_links_to_edit_and_archive_in_pinned_queries(
    merch_client, rule_segment, django_assert_num_queries
):
    # access; segment, latest features as_of, its churn as_of, tier ids, stats x2, latest churn as_of,
    # churn mix, sentiment mix, sample members (the rule's as_of, churn as_of and tier ids again), trend
    with django_assert_num_queries(ACCESS_QUERIES + 14):
        html = merch_client.get(f"/segments/{rule_segment.pk}/").content.decode()
    assert f'href="/segments/{rule_segment.pk}/edit/"' in html
    assert f'href="/segments/{rule_segment.pk}/archive/"' in html


def test_the_segments_list_links_only_rule_segments_to_edit(merch_client, rule_segment):
    html = merch_client.get("/segments/").content.decode()
    assert html.count("/edit/") == 1 and f'href="/segments/{rule_segment.pk}/edit/"' in html
    assert html.count("/archive/") == 1


def test_learned_segments_cannot_be_edited_or_archived(merch_client, segmented):
    learned = Segment.objects.get(members__pk=segmented["loyal"][0])
    assert merch_client.get(f"/segments/{learned.pk}/edit/").status_code == 404
    assert merch_client.post(f"/segments/{learned.pk}/edit/", _edit_post(action="save")).status_code == 404
    assert merch_client.get(f"/segments/{learned.pk}/archive/").status_code == 404
    assert merch_client.post(f"/segments/{learned.pk}/archive/").status_code == 404
    learned.refresh_from_db()
    assert learned.active and learned.kind == "learned" and learned.rule == {}
    html = merch_client.get(f"/segments/{learned.pk}/").content.decode()
    assert "/edit/" not in html and "/archive/" not in html and "Rename" in html


def test_archiving_asks_first_then_hides_the_segment(merch_client, rule_segment, django_assert_num_queries):
    # access; permissions; the rule segment (its rule in words needs no query)
    with django_assert_num_queries(ACCESS_QUERIES + PERMISSION_QUERIES + 1):
        html = merch_client.get(f"/segments/{rule_segment.pk}/archive/").content.decode()
    assert "Archive Gold or new?" in html and "Archive segment" in html and 'method="post"' in html
    assert Segment.objects.get(pk=rule_segment.pk).active  # a GET only asks

    response = merch_client.post(f"/segments/{rule_segment.pk}/archive/", **HTMX)

    assert response["HX-Redirect"] == "/segments/"
    segment = Segment.objects.get(pk=rule_segment.pk)
    assert not segment.active and segment.snapshots.exists()  # history kept
    assert "Gold or new" not in merch_client.get("/segments/").content.decode()
    assert merch_client.get(f"/segments/{segment.pk}/").status_code == 404
    assert merch_client.get(f"/segments/{segment.pk}/edit/").status_code == 404
    assert merch_client.post(f"/segments/{segment.pk}/archive/").status_code == 404


def test_archiving_without_htmx_redirects_to_the_list(merch_client, rule_segment):
    response = merch_client.post(f"/segments/{rule_segment.pk}/archive/")
    assert response.status_code == 302 and response["Location"] == "/segments/"


def test_editing_and_archiving_need_the_web_app_groups(client, staff_user, operations_user, rule_segment):
    urls = [f"/segments/{rule_segment.pk}/edit/", f"/segments/{rule_segment.pk}/archive/"]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: the login page
    client.force_login(staff_user)
    for url in urls:
        assert client.get(url).status_code == 403
        assert client.post(url, _edit_post(action="save")).status_code == 403
    assert Segment.objects.get(pk=rule_segment.pk).active
    client.force_login(operations_user)  # operations staff use the merchandiser pages too
    assert client.get(urls[0]).status_code == 200
