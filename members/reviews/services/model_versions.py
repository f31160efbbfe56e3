"""Which review-model version is served: activate (the champion/challenger swap), promote and
roll back, each one transaction with row locks."""

from django.db import transaction
from django.utils import timezone

from members.models import ModelVersion, ModelVersionStatus
from members.reviews.model_errors import TrainingError


def model_version_activate(*, version_id: int, expected_active_id: int | None = None,
                           check_expected: bool = True) -> bool:
    """Make `version_id` the active version of its task and retire the previous one, atomically.

    With check_expected, nothing happens (False) unless the active version is still
    `expected_active_id` -- the champion the challenger was compared with.
    """
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        current = (ModelVersion.objects.select_for_update()
                   .filter(task=version.task, status=ModelVersionStatus.ACTIVE).first())
        if current is not None and current.pk == version.pk:
            return True
        if check_expected and (current.pk if current else None) != expected_active_id:
            return False
        if current is not None:
            ModelVersion.objects.filter(pk=current.pk).update(status=ModelVersionStatus.RETIRED)
        ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersionStatus.ACTIVE, activated_at=timezone.now())
    return True


def model_version_promote(*, version_id: int) -> ModelVersion:
    """Staff decision: make this version active whatever the metrics say."""
    model_version_activate(version_id=version_id, check_expected=False)
    return ModelVersion.objects.get(pk=version_id)


def model_version_rollback(*, task: str) -> ModelVersion:
    """Re-activate the version that was active before the current one; the current one goes back
    to candidate (so it can be promoted again, and a second roll back goes one further back).
    Raises TrainingError when there is nothing to roll back to."""
    with transaction.atomic():
        current = (ModelVersion.objects.select_for_update()
                   .filter(task=task, status=ModelVersionStatus.ACTIVE).first())
        previous = (ModelVersion.objects.select_for_update()
                    .filter(task=task, status=ModelVersionStatus.RETIRED, activated_at__isnull=False)
                    .order_by("-activated_at").first())
        if current is None or previous is None:
            raise TrainingError(f"No earlier active {task} model to roll back to.")
        ModelVersion.objects.filter(pk=current.pk).update(status=ModelVersionStatus.CANDIDATE)
        ModelVersion.objects.filter(pk=previous.pk).update(status=ModelVersionStatus.ACTIVE, activated_at=timezone.now())
    return ModelVersion.objects.get(pk=previous.pk)
