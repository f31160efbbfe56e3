"""The import job admin: a read-only record of each import, its counts and rejected rows, and "Run again"."""

import pytest

from members.models import ImportJob, ImportJobStatus

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/members/importjob/"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def _job(**fields) -> ImportJob:
    defaults = {
        "kind": "orders",
        "path": "/data/orders-2024.csv",
        "status": ImportJobStatus.SUCCEEDED,
        "attempts": 1,
        "rows_total": 10,
        "created": 7,
        "updated": 1,
        "unchanged": 1,
        "rejected": 1,
        "finished_at": "2024-06-01T10:00Z",
    }
    return ImportJob.objects.create(**(defaults | fields))


@pytest.mark.parametrize("rows", [3, 30])
def test_the_job_list_shows_status_and_counts_in_a_fixed_number_of_queries(
    admin_client, django_assert_num_queries, rows
):
    for _ in range(rows):
        _job()
    # session, user, pg_class estimate, COUNT, the page of jobs (creator joined in).
    with django_assert_num_queries(5):
        response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows
    assert b"orders-2024.csv" in response.content
    assert b"Succeeded" in response.content


def test_a_jobs_page_lists_its_rejected_rows_and_how_many_are_not_shown(admin_client):
    job = _job(rejected=250, errors=[{"line": 7, "reason": "unknown member 'M9' in member_external_id"}])

    response = admin_client.get(f"{CHANGELIST}{job.pk}/change/")

    assert response.status_code == 200
    assert b"<td>7</td><td>unknown member &#x27;M9&#x27; in member_external_id</td>" in response.content
    assert b"The first 1 of 250 rejected rows." in response.content
    assert b'name="_save"' not in response.content  # read-only


def test_jobs_cannot_be_added_by_hand(admin_client):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_run_again_queues_a_new_job_for_each_selected_file(
    admin_client, superuser, django_capture_on_commit_callbacks
):
    failed = _job(status=ImportJobStatus.FAILED, path="/data/missing.csv", error="The file is gone.")
    done = _job(kind="members", path="/data/members.csv")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = admin_client.post(
            CHANGELIST, {"action": "run_again", "_selected_action": [failed.pk, done.pk]}, follow=True
        )

    assert b"Queued 2 import jobs." in response.content
    new_jobs = ImportJob.objects.exclude(pk__in=[failed.pk, done.pk]).order_by("pk")
    assert [(j.kind, j.path, j.status, j.created_by) for j in new_jobs] == [
        ("orders", "/data/missing.csv", ImportJobStatus.QUEUED, superuser),
        ("members", "/data/members.csv", ImportJobStatus.QUEUED, superuser),
    ]
    assert len(callbacks) == 2
    failed.refresh_from_db()
    assert (failed.status, failed.error) == (ImportJobStatus.FAILED, "The file is gone.")


def test_staff_without_the_add_permission_are_not_offered_run_again(client, staff_user):
    from django.contrib.auth.models import Permission

    staff_user.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    client.force_login(staff_user)

    response = client.get(CHANGELIST)

    assert response.status_code == 200
    assert b"run_again" not in response.content
