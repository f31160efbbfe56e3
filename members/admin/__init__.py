"""The operations admin. One module per area; importing them registers their ModelAdmins."""

# ruff: noqa: I001  -- one import line per area module, appended by whoever adds the area.

from members.core.admin import catalog, members, orders, reviews  # noqa: F401
from members.tiers import admin as tiers  # noqa: F401
from members.imports import admin as import_jobs  # noqa: F401
from members.partners.admin import api_keys, webhooks  # noqa: F401
from members.reviews import admin as review_models  # noqa: F401
from members.campaigns import admin as campaigns  # noqa: F401
