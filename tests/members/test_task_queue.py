"""Services queue tasks by name (members/task_queue.py): the name finds the registered task, the
send waits for the commit, and a name that no capability registers is an error, not a silent drop."""

import pytest

from members.task_queue import task_send, task_send_on_commit

pytestmark = pytest.mark.django_db


def test_a_task_is_sent_by_name_with_its_arguments_and_options(monkeypatch):
    from members.tiers.tasks import recheck_member_tier

    sent = []
    monkeypatch.setattr(recheck_member_tier, "apply_async", lambda **kw: sent.append(kw))
    task_send("members.tiers.recheck_member", (7,), countdown=5)
    assert sent == [{"args": (7,), "kwargs": {}, "countdown": 5}]


def test_on_commit_sends_only_once_the_transaction_commits(monkeypatch, django_capture_on_commit_callbacks):
    from members.campaigns.tasks import measure_campaign

    sent = []
    monkeypatch.setattr(measure_campaign, "apply_async", lambda **kw: sent.append(kw["args"]))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        task_send_on_commit("members.campaigns.measure", (3,))
    assert sent == [] and len(callbacks) == 1
    callbacks[0]()
    assert sent == [(3,)]


def test_an_unknown_task_name_is_an_error():
    with pytest.raises(ModuleNotFoundError):
        task_send("members.nowhere.run")
    with pytest.raises(KeyError):
        task_send("members.tiers.no_such_verb")
