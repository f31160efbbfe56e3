"""Forms that parse the web app's query strings; they validate input and never touch the database."""

from django import forms
from django.utils.translation import gettext_lazy as _

RATING_CHOICES = [("", _("Any rating"))] + [(str(n), f"{n} ★") for n in range(5, 0, -1)]
# Pages past this are refused as a form error: (page - 1) * page size becomes the query's OFFSET,
# which Postgres refuses beyond a 64-bit integer (a 500 for ?page=99999999999999999999999).
MAX_PAGE = 100_000


def page_field() -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE, widget=forms.HiddenInput)


class ReviewFilterForm(forms.Form):
    rating = forms.TypedChoiceField(choices=RATING_CHOICES, required=False, coerce=int, empty_value=None)
    q = forms.CharField(
        label=_("Product"), required=False, max_length=100, strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Title or SKU")}),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = page_field()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filter_params(self) -> dict[str, str]:
        """The non-empty filters as query-string values (no page), for links and the pushed URL."""
        params = {}
        for name in ("rating", "q", "date_from", "date_to"):
            value = self.cleaned_data.get(name)
            if value not in (None, ""):
                params[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return params
