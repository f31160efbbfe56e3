"""The one registry of API scopes. A key holds a list of these; each view names the ones it needs."""

from types import MappingProxyType

SCOPES = MappingProxyType(
    {
        "members:read": "List and read members.",
        "members:write": "Create and update members (single and bulk).",
        "orders:read": "List and read orders with their items.",
        "orders:write": "Create and update orders with their items (single and bulk).",
        "products:read": "List and read products.",
        "products:write": "Create and update products.",
        "reviews:read": "List and read reviews.",
        "reviews:write": "Create and update reviews (single and bulk).",
        "tiers:read": "Read the tier ladder and tier changes.",
        "recommendations:read": "Read product recommendations for members.",
        "campaigns:read": "Read campaigns and their audiences.",
    }
)

ALL_SCOPES: tuple[str, ...] = tuple(SCOPES)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def unknown_scopes(scopes) -> list[str]:
    """The entries of `scopes` that are not in the registry, in the order given."""
    return [scope for scope in scopes if scope not in SCOPES]
