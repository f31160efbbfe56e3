"""The review-model registry: baselines are versions too, and what is served is the best
candidate on the shop's own held-out reviews (ml/selection.py has the rule).

Entry points:
* review_baseline_train()   -- TF-IDF + LR on every review, in seconds; served when nothing
                               better is active. The first model a new shop gets.
* model_version_record()    -- called when a fine-tune finishes: record it, and serve it only
                               when it clearly beats the baseline and the active version; when the
                               baseline wins, record and serve the baseline instead.
* review_artifact_dir()     -- artifact folders that two databases can never share.

Language: a base model that cannot read the shop's reviews (ml.language: too many unknown tokens,
e.g. Chinese reviews and the packaged English MiniLM) makes no fine-tune worth serving. ml.train
then skips the fine-tune, and both entry points serve the baseline, replacing an active fine-tune
unless that one's own metrics say its base model could read its reviews. The verdict is stored in
the version's metrics["language"]; the Models page says it in a sentence.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from members.models import MlTask, ModelVersion, ModelVersionKind, ModelVersionStatus, TrainingRun
from members.reviews.selectors.training_rows import review_training_rows
from members.reviews.services.model_versions import model_version_activate

logger = logging.getLogger(__name__)

DEFAULT_CPU_BUDGET_MINUTES = 10.0  # what a fine-tune may take on a CPU worker unless asked otherwise
# Artifact keys too bulky for the ModelVersion row (they stay in the artifact's metrics.json).
ARTIFACT_ONLY_METRICS = ("log_history", "test_labels", "test_predictions")


def review_artifact_dir(*, task: str, name: str) -> Path:
    """A fresh folder path MEMBERHUB_ARTIFACT_DIR/<database>/<task>/<name>-<UTC stamp>-<random>.

    Row ids and version numbers restart in every database (a test database, the demo, a second
    shop), so neither may name an artifact on its own: the database name and a random suffix
    keep two shops from ever overwriting each other's models.
    """
    database = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(connection.settings_dict.get("NAME") or "default"))
    stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
    return Path(settings.MEMBERHUB_ARTIFACT_DIR) / database / task / f"{name}-{stamp}-{uuid.uuid4().hex[:8]}"


def review_train_config(*, task: str, output_dir: Path, parameters: dict[str, Any] | None = None):
    """The ml TrainConfig for the shop's reviews: DB columns, the base model setting, options."""
    from ml.config import TrainConfig

    return TrainConfig(
        task=task, base_model=settings.MEMBERHUB_BASE_MODEL or None, text_column="body",
        title_column="title", rating_column="rating", label_column="human_label", timestamp_column="created_at",
        output_dir=str(output_dir), **(parameters or {}),
    )


def review_baseline_train(*, task: str = MlTask.SENTIMENT) -> ModelVersion:
    """Train TF-IDF + logistic regression on every review (split by time) and record it as a
    version of kind tfidf_logreg. It becomes active when nothing is active, or when it clearly
    beats the active version on its test split. Takes seconds on a CPU.

    Raises ml.data.DataError when the reviews cannot make a train and a test split (e.g. none).
    """

    rows = list(review_training_rows())
    from ml.baseline import train_baseline

    config = review_train_config(task=task, output_dir=review_artifact_dir(task=task, name="baseline"))
    result = train_baseline(config, rows)
    language = _base_model_language(rows, config)
    champion = _active(task)
    y_true = result.metrics["test_labels"]
    mine = result.metrics["test_predictions"][ModelVersionKind.BASELINE]
    active = _champion_predictions(champion, rows=rows, config=config)
    from ml import selection

    decision = selection.decide_serving(
        y_true, mine, num_labels=len(result.metrics["labels"]), active=active,
        challenger_name="the TF-IDF + LR baseline", active_name=champion.label if champion else "the active model",
    )
    if champion is not None and active is None:  # the champion could not be scored: keep it
        decision = _kept_unscorable(decision, champion)
    if language is not None and not language.readable:
        decision = _unreadable_serves_baseline(decision, champion, reason=language.reason(),
                                               features=result.metrics.get("text_features"))
    metrics = _row_metrics(result.metrics, decision.to_dict())
    if language is not None:
        metrics["language"] = language.to_dict()
    version = model_version_create(
        task=task, kind=ModelVersionKind.BASELINE, artifact_dir=result.artifact_dir,
        base_model=result.run_config["base_model"]["description"], metrics=metrics, run=None,
    )  # fmt: skip
    if decision.challenger_wins:
        model_version_activate_if_unchanged(version, expected_active=champion)
    version.refresh_from_db()
    return version


def model_version_record(*, run: TrainingRun, result, rows: list[dict], config) -> ModelVersion:
    """Record a finished fine-tune as a version and decide what is served (ml.selection): the
    fine-tune when it clearly beats TF-IDF + LR and the active version on the run's test split;
    else the run's baseline (recorded as its own version) when nothing is active or it clearly
    beats the active one; else the active version stays. The decision, with margins and paired
    bootstrap intervals, is stored in metrics["decision"] of the fine-tuned version."""
    from ml import selection

    champion = _active(run.task)
    if result.run_config.get("fine_tuned") is False:  # the language check skipped the fine-tune
        return _record_baseline_only(run=run, result=result, rows=rows, config=config, champion=champion)
    y_true = result.metrics["test_labels"]
    predictions = result.metrics["test_predictions"]
    active = _champion_predictions(champion, rows=rows, config=config)
    decision = selection.decide_serving(
        y_true, predictions[ModelVersionKind.FINETUNED], num_labels=len(result.metrics["labels"]),
        baseline=predictions[ModelVersionKind.BASELINE], active=active,
        active_name=champion.label if champion else "the active model",
    )
    if champion is not None and active is None:
        decision = _kept_unscorable(decision, champion)
    metrics = _row_metrics(result.metrics, decision.to_dict())
    base = result.run_config.get("base_model", {})
    version = model_version_create(
        task=run.task, kind=ModelVersionKind.FINETUNED, artifact_dir=result.artifact_dir,
        base_model=str(base.get("description") or base.get("location") or ""), metrics=metrics, run=run,
    )  # fmt: skip
    if decision.served == selection.CHALLENGER:
        model_version_activate_if_unchanged(version, expected_active=champion)
    elif decision.served == selection.BASELINE:
        # the baseline's own row: its margin vs the active model (if any), not the fine-tune's
        own = {**metrics, "decision": {**metrics["decision"], "vs_baseline": None,
                                       "vs_active": decision.baseline_vs_active}}
        baseline = model_version_create(
            task=run.task, kind=ModelVersionKind.BASELINE, artifact_dir=Path(result.artifact_dir) / "baseline",
            base_model=_baseline_description(Path(result.artifact_dir) / "baseline"), metrics=own, run=run,
        )
        model_version_activate_if_unchanged(baseline, expected_active=champion)
    version.refresh_from_db()
    return version


def _record_baseline_only(*, run: TrainingRun, result, rows: list[dict], config, champion) -> ModelVersion:
    """A run whose base model could not read the reviews trained only its baseline: record that as
    the run's version, and serve it unless the active version is a model that reads them (a
    baseline, or a fine-tune whose language check passed), which it must then clearly beat."""
    from ml import selection

    decision = selection.ServingDecision(**{k: v for k, v in result.metrics["decision"].items()
                                            if k != "challenger_wins"})
    if champion is not None and _reads_its_reviews(champion):
        active = _champion_predictions(champion, rows=rows, config=config)
        decision = selection.decide_serving(
            result.metrics["test_labels"], result.metrics["test_predictions"][ModelVersionKind.BASELINE],
            num_labels=len(result.metrics["labels"]), active=active,
            challenger_name="the TF-IDF + LR baseline", active_name=champion.label,
        )
        if active is None:
            decision = _kept_unscorable(decision, champion)
    else:
        decision = _unreadable_serves_baseline(decision, champion, reason=decision.reason,
                                               features=result.metrics.get("text_features"))
    baseline_dir = Path(result.artifact_dir) / "baseline"
    version = model_version_create(task=run.task, kind=ModelVersionKind.BASELINE, artifact_dir=baseline_dir,
                                  base_model=_baseline_description(baseline_dir),
                                  metrics=_row_metrics(result.metrics, decision.to_dict()), run=run)
    if decision.challenger_wins:
        model_version_activate_if_unchanged(version, expected_active=champion)
    version.refresh_from_db()
    return version


def _reads_its_reviews(version: ModelVersion) -> bool:
    """A baseline reads any script; a fine-tune only when its language check passed (versions
    from before the check have none and are taken not to, when the new reviews are unreadable)."""
    if version.kind == ModelVersionKind.BASELINE:
        return True
    return bool((version.metrics or {}).get("language", {}).get("readable"))


def _unreadable_serves_baseline(decision, champion: ModelVersion | None, *, reason: str, features: str | None):
    """The base model cannot read the reviews: the baseline is served unless a model that reads
    them is active (then the usual comparison, ``decision``, stands). ``reason`` is the language
    verdict in words."""
    from ml.baseline import CHAR_ANALYZER
    from ml.selection import CHALLENGER, ServingDecision

    if decision.challenger_wins or (champion is not None and _reads_its_reviews(champion)):
        return decision
    if "baseline" not in reason:  # ml.train's reason already names the baseline it serves
        kind = "character n-gram" if features == CHAR_ANALYZER else "TF-IDF + LR"
        reason = f"{reason[:1].upper()}{reason[1:]}: serving the {kind} baseline."
    if champion is not None:
        reason += f" It replaces {champion.label}, a fine-tune of a base model that cannot read these reviews."
    return ServingDecision(CHALLENGER, reason, decision.vs_baseline, decision.vs_active)


def _base_model_language(rows: list[dict], config):
    """ml.language's verdict on the reviews with the base model's tokenizer (a sample, seconds);
    None when the check is off or the base model cannot be loaded (the baseline does not need it)."""
    if not config.language_check:
        return None
    from ml.base_model import BaseModelError
    from ml.language import check_base_model_language
    from ml.score_result import model_input

    texts = [model_input(row.get(config.text_column), row.get(config.title_column)) for row in rows]
    try:
        return check_base_model_language(config.base_model, texts, seed=config.seed)
    except (BaseModelError, OSError):
        logger.exception("Could not load the base model's tokenizer for the language check")
        return None


def _baseline_description(artifact_dir: Path) -> str:
    """"TF-IDF (character 1-3 grams) + logistic regression", from the baseline artifact's config.json."""
    try:
        run_config = json.loads((Path(artifact_dir) / "config.json").read_text(encoding="utf-8"))
        return str(run_config["base_model"]["description"])
    except (OSError, ValueError, KeyError, TypeError):
        return "TF-IDF + logistic regression"


def _active(task: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(task=task, status=ModelVersionStatus.ACTIVE).first()


def _champion_predictions(champion: ModelVersion | None, *, rows: list[dict], config) -> list[int] | None:
    """The active version's label ids on the test split `config` makes of `rows` (the challenger's
    own test rows, same split code); None when there is no champion or it cannot be scored."""
    if champion is None:
        return None
    from members.reviews.services.scoring import scorer_for
    from ml.data import build_examples
    from ml.labels import label_maps
    from ml.splits import split_examples

    try:
        examples, _ = build_examples(rows, config)
        test = split_examples(examples, shares=config.split, seed=config.seed).test
        _, label2id = label_maps(config.task)
        return [label2id[r.label] for r in scorer_for(champion.artifact_path).score([e.text for e in test])]
    except Exception:  # a broken champion artifact must not crash the run
        logger.exception("Could not evaluate %s on the new test split", champion.label)
        return None


def _kept_unscorable(decision, champion: ModelVersion):
    from ml.selection import ACTIVE, ServingDecision

    return ServingDecision(ACTIVE, f"{champion.label} could not be scored on the new test reviews (see the worker "
                                   f"log): keeping it; promote by hand if the new version should serve.",
                           decision.vs_baseline, None)


def _row_metrics(artifact_metrics: dict, decision: dict) -> dict:
    metrics = {k: v for k, v in artifact_metrics.items() if k not in ARTIFACT_ONLY_METRICS}
    metrics["decision"] = decision
    return metrics


def model_version_create(*, task: str, kind: str, artifact_dir: Path, base_model: str, metrics: dict,
                         run: TrainingRun | None) -> ModelVersion:
    """A new ModelVersion row of `task` with the next version number (not active)."""
    for attempt in range(3):  # two runs finishing at once may pick the same number; retry on the constraint
        try:
            with transaction.atomic():
                number = (ModelVersion.objects.filter(task=task).aggregate(n=Max("version"))["n"] or 0) + 1
                return ModelVersion.objects.create(task=task, version=number, kind=kind,
                                                   artifact_path=str(artifact_dir), base_model=base_model[:300],
                                                   metrics=metrics, run=run)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def model_version_activate_if_unchanged(version: ModelVersion, *,
                                        expected_active: ModelVersion | None) -> None:  # fmt: skip
    """Activate `version` unless the task's active version is no longer `expected_active` (another
    run finished first while this one trained); then it stays a candidate and the fact is logged."""
    if not model_version_activate(version_id=version.pk, expected_active_id=expected_active.pk if expected_active else None):
        logger.info("%s not activated: the active model changed while it trained", version.label)
