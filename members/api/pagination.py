"""Cursor pagination: stable under inserts, constant cost per page however deep the walk goes."""

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination

MAX_PAGE_SIZE = 500
# Ids are Postgres bigints: a cursor position outside this range is a crafted cursor, not ours.
_BIGINT_MAX = 2**63 - 1


class IdCursorPagination(CursorPagination):
    """Newest first by id (unique and never changes, so a walk sees every row exactly once).

    Sync clients combine it with ?updated_since=<time the last sync started>.
    """

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def decode_cursor(self, request):
        """DRF's decoding, plus: the position must be an id (an integer in bigint range). A crafted
        cursor is "Invalid cursor" (404, as DRF answers other bad cursors), never a database error."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                position = int(cursor.position)
            except ValueError:
                raise NotFound(self.invalid_cursor_message) from None
            if not -_BIGINT_MAX <= position <= _BIGINT_MAX:
                raise NotFound(self.invalid_cursor_message)
        return cursor
