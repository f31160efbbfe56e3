from django.contrib.auth.models import Group

from members.accounts.roles import MERCHANDISERS_GROUP, roles_ensure_groups

WEB_URLS = ["/", "/dashboard/members/", "/dashboard/revenue/", "/dashboard/tiers/", "/dashboard/reviews/", "/reviews/"]


class TestAccess:
    def test_anonymous_visitors_are_sent_to_the_login_page(self, client, db):
        for url in WEB_URLS:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"] == f"/login/?next={url}"

    def test_staff_outside_the_web_groups_get_a_403_page(self, client, staff_user):
        client.force_login(staff_user)
        for url in WEB_URLS:
            response = client.get(url)
            assert response.status_code == 403, url
            assert b"No access" in response.content

    def test_merchandisers_operations_staff_and_superusers_get_in(
        self, client, merchandiser, operations_user, superuser
    ):
        for user in (merchandiser, operations_user, superuser):
            client.force_login(user)
            assert client.get("/").status_code == 200, user.username

    def test_login_with_the_form_lands_on_the_dashboard(self, client, merchandiser):
        response = client.post("/login/", {"username": "merch", "password": "correct horse battery staple"})
        assert response.status_code == 302
        assert response["Location"] == "/"

    def test_login_honours_next(self, client, merchandiser):
        response = client.post(
            "/login/", {"username": "merch", "password": "correct horse battery staple", "next": "/reviews/"}
        )
        assert response["Location"] == "/reviews/"

    def test_a_wrong_password_shows_an_error_on_the_login_page(self, client, merchandiser):
        response = client.post("/login/", {"username": "merch", "password": "nope"})
        assert response.status_code == 200
        assert b"form-errors" in response.content

    def test_logout_is_a_post_and_returns_to_login(self, merch_client):
        assert merch_client.get("/logout/").status_code == 405
        response = merch_client.post("/logout/")
        assert response["Location"] == "/login/"
        assert merch_client.get("/").status_code == 302


class TestMerchandisersGroup:
    def test_group_exists_after_migrate_with_view_and_web_action_permissions(self, db):
        group = Group.objects.get(name=MERCHANDISERS_GROUP)
        codenames = set(group.permissions.values_list("codename", flat=True))
        assert {"view_member", "view_review", "view_order", "view_tierchange"} <= codenames
        # The web actions they take (docs/roles.md), and nothing that edits the shop's data or ladder.
        assert {c for c in codenames if not c.startswith("view_")} == {
            "change_tierchange", "add_campaign", "change_campaign", "add_segment", "change_segment",
            "add_trainingrun", "change_trainingrun", "change_modelversion", "change_review", "add_memberbacktest",
        }

    def test_ensuring_the_group_twice_changes_nothing(self, db):
        before = set(Group.objects.get(name=MERCHANDISERS_GROUP).permissions.values_list("id", flat=True))
        roles_ensure_groups()
        roles_ensure_groups()
        assert Group.objects.filter(name=MERCHANDISERS_GROUP).count() == 1
        assert set(Group.objects.get(name=MERCHANDISERS_GROUP).permissions.values_list("id", flat=True)) == before
