"""Churn while no trained model has earned it: the better baseline (recency or BG/NBD expected
purchases, calibrated on the latest labelled window) is served as a version of its own, scored by
the same scorer, and says so; a clearly better trained model replaces it."""

import pytest
from django.utils import timezone

from members.models import ChurnScore, MemberModelKind, MemberModelVersion
from members.predictions.services.churn import churn_score, churn_train
from members.predictions.services.churn_registry import member_model_active
from members.predictions.services.member_features import member_features_compute
from ml.member_models.churn import ChurnConfig
from tests.members.predictions.shared_db import artifacts_copied, kept_until_exit
from tests.members.predictions.shop import build_shop

pytestmark = pytest.mark.django_db

# One stump on the raw features, uncalibrated: far from recency's ranking in this shop.
WORSE = ChurnConfig(max_iter=1, learning_rate=0.01, max_leaf_nodes=2, bgnbd_features=False, calibration="none",
                    dependence_rows=50, dependence_grid=4)  # fmt: skip


@pytest.fixture(scope="module")
def shop_for_the_module(django_db_setup, django_db_blocker, tmp_path_factory):
    """The shop after churn_train(config=WORSE), which every test here starts from: built and trained
    once for the module (see kept_until_exit: each test's writes are still rolled back after it)."""
    folder = tmp_path_factory.mktemp("churn-baseline")
    with kept_until_exit(django_db_blocker, folder) as write:
        today = timezone.localdate()
        shop = write(lambda: build_shop(today=today))
        refused = write(lambda: churn_train(as_of=today, config=WORSE))
        yield {**shop, "today": today, "refused_pk": refused.pk, "artifacts": folder}


@pytest.fixture
def shop(shop_for_the_module, settings, tmp_path):
    """The shop, with "refused": the version churn_train(config=WORSE) stored (and did not serve)."""
    artifacts_copied(shop_for_the_module["artifacts"], settings, tmp_path)
    shop = {k: v for k, v in shop_for_the_module.items() if k not in ("artifacts", "refused_pk")}
    return {**shop, "refused": MemberModelVersion.objects.get(pk=shop_for_the_module["refused_pk"])}


def test_a_churn_model_that_cannot_beat_the_baselines_leaves_the_baseline_scoring(shop):
    today = shop["today"]
    refused = shop["refused"]  # churn_train(as_of=today, config=WORSE)
    assert not refused.active and refused.note.startswith("Not served")
    served = member_model_active(kind=MemberModelKind.CHURN)
    assert served.version == refused.version + 1 and served.metrics["served"] == "baseline"
    assert served.metrics["baseline"] in {"recency (days without an order)", "BG/NBD expected purchases"}
    assert served.note.startswith(f"Baseline served: the churn model (v{refused.version}) is not yet clearly better than")
    assert f"serves {served.metrics['baseline']}'s estimate" in served.note
    backtest = served.metrics["backtest"]
    assert backtest["model"]["roc_auc"] > 0.7 and backtest["model"]["ece"] is not None

    member_features_compute(as_of=today)
    assert churn_score(as_of=today) == 800
    scores = {s.member_id: s for s in ChurnScore.objects.filter(as_of=today)}
    assert {s.model_version_id for s in scores.values()} == {served.pk}
    assert all(0.0 <= s.probability <= 1.0 for s in scores.values())
    kinds = shop["kinds"]
    loyal = [s.probability for m, s in scores.items() if kinds[m] == "loyal"]
    gone = [s.probability for m, s in scores.items() if kinds[m] != "loyal"]
    assert sum(loyal) / len(loyal) < sum(gone) / len(gone)
    explained = [s for s in scores.values() if s.top_reasons]
    assert explained and all(s.probability > 0 for s in explained)
    assert {"feature", "value", "effect", "text"} <= set(explained[0].top_reasons[0])
    assert explained[0].top_reasons[0]["text"].startswith(("no order for", "BG/NBD expects", "never ordered"))


def test_a_clearly_better_churn_model_replaces_the_served_baseline(shop):
    baseline = member_model_active(kind=MemberModelKind.CHURN)
    trained = churn_train(as_of=shop["today"])
    assert trained.active, trained.note
    assert f"active v{baseline.version}" in trained.metrics["promotion"]["versus"]
    baseline.refresh_from_db()
    assert not baseline.active
    assert MemberModelVersion.objects.filter(kind=MemberModelKind.CHURN).count() == 3


def test_the_pages_say_the_baseline_is_served(shop, client):
    from django.contrib.auth.models import Group
    from django.utils.html import escape

    from members.accounts.roles import MERCHANDISERS_GROUP
    from tests.factories import UserFactory

    user = UserFactory(username="merch", is_staff=False)
    user.groups.add(Group.objects.get(name=MERCHANDISERS_GROUP))
    client.force_login(user)
    served = member_model_active(kind=MemberModelKind.CHURN)
    html = client.get("/models/").content.decode()
    row = html[html.index(f'id="member-model-{served.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'data-status="active"' in row
    assert f"Serving the baseline: {escape(served.metrics['baseline'])}, not a trained model" in row
    assert escape(served.note) in row
    member_features_compute(as_of=shop["today"])
    churn_score(as_of=shop["today"])
    member = ChurnScore.objects.select_related("member").first().member
    page = client.get(f"/members/{member.external_id}/").content.decode()
    assert f"churn-v{served.version} (a baseline, {escape(served.metrics['baseline'])}: no trained model" in page
