"""The operations admin. One module per area; importing them registers their ModelAdmins."""

# ruff: noqa: I001  -- one import line per area module, appended by whoever adds the area.

from members.admin import catalog, members, orders, reviews, tiers  # noqa: F401
from members.admin import import_jobs  # noqa: F401
from members.admin import webhooks  # noqa: F401
from members.admin import api_keys  # noqa: F401
from members.admin import ml  # noqa: F401
from members.admin import campaigns  # noqa: F401
