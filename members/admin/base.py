"""Defaults every MemberHub changelist shares so it stays fast at millions of rows."""

from django.contrib import admin

from members.admin.paginator import EstimatedCountPaginator


class ScalableAdmin(admin.ModelAdmin):
    """A ModelAdmin whose changelist never counts or scans a whole big table.

    - the paginator estimates unfiltered counts from pg_class instead of COUNT(*);
    - no second "N total" COUNT(*) under the result count;
    - no facet counts (?_facets=1 would COUNT once per filter choice over the whole table).
    Subclasses still set list_select_related and autocomplete/raw-id widgets for their foreign keys.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
