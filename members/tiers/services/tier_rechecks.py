"""Re-check members' tiers when one of their orders is returned or cancelled.

The importer and the API call this after they change orders; the check itself runs in a Celery
task (members.tiers.recheck_member), one per member, after the writing transaction commits.
"""

from collections.abc import Iterable
from datetime import datetime

from members.models import Order, OrderStatus
from members.task_queue import task_send_on_commit

REFUND_STATUSES = (OrderStatus.RETURNED, OrderStatus.CANCELLED)


def tier_rechecks_schedule(*, member_ids: Iterable[int]) -> int:
    """Queue a tier re-check for each member once the current transaction commits; returns how many."""
    unique_ids = sorted(set(member_ids))
    for member_id in unique_ids:
        task_send_on_commit("members.tiers.recheck_member", (member_id,), robust=False)
    return len(unique_ids)


def tier_rechecks_for_refunded_orders(*, updated_at: datetime) -> int:
    """Queue re-checks for members whose existing orders an import just moved to returned/cancelled.

    Contract: `updated_at` is the import's single timestamp (csv_import sets it on every row it
    changes). Orders created by the same import are skipped: a new refunded order never counted
    towards a tier, so it cannot lower one.
    """
    member_ids = (
        Order.objects.filter(updated_at=updated_at, status__in=REFUND_STATUSES, created_at__lt=updated_at)
        .values_list("member_id", flat=True)
        .distinct()
    )
    return tier_rechecks_schedule(member_ids=list(member_ids))
