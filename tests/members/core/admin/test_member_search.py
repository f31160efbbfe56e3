import pytest

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def _found(client, term):
    response = client.get("/admin/members/member/", {"q": term})
    assert response.status_code == 200
    return {member.external_id for member in response.context["cl"].result_list}


@pytest.fixture
def people(db):
    return [
        MemberFactory(external_id="EXT-1", name="Grace Hopper", email="grace@navy.example"),
        MemberFactory(external_id="EXT-2", name="Alan Turing", email="alan@bletchley.example"),
        MemberFactory(external_id="EXT-22", name="Ada Lovelace", email="ada@engine.example"),
    ]


def test_search_finds_members_by_part_of_the_name_in_any_case(superuser_client, people):
    assert _found(superuser_client, "hopp") == {"EXT-1"}
    assert _found(superuser_client, "LOVE") == {"EXT-22"}


def test_search_finds_members_by_part_of_the_email(superuser_client, people):
    assert _found(superuser_client, "bletchley") == {"EXT-2"}


def test_search_matches_the_external_id_exactly_not_as_a_substring(superuser_client, people):
    assert _found(superuser_client, "EXT-2") == {"EXT-2"}


def test_search_with_no_match_lists_nobody(superuser_client, people):
    assert _found(superuser_client, "nobody-like-this") == set()
