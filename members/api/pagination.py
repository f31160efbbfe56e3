"""Cursor pagination: stable under inserts, constant cost per page however deep the walk goes."""

from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 500


class IdCursorPagination(CursorPagination):
    """Newest first by id (unique and never changes, so a walk sees every row exactly once).

    Sync clients combine it with ?updated_since=<time the last sync started>.
    """

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
