"""Widgets that reuse objects the page already loaded instead of querying once per form row."""

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect


class PreloadedAutocompleteSelect(AutocompleteSelect):
    """An AutocompleteSelect that labels its selected option from an already-loaded object.

    Django's widget runs one query per rendered row to label the current choice, so an inline of
    N items costs N queries. The form sets `preloaded` to the related object (joined by the inline's
    select_related); any other value (e.g. a changed choice re-rendered after an error) falls back to
    the normal query.
    """

    preloaded = None

    def optgroups(self, name, value, attr=None):
        obj = self.preloaded
        selected = [str(v) for v in value if v not in self.choices.field.empty_values]
        if obj is None or selected != [str(obj.pk)]:
            return super().optgroups(name, value, attr)
        options = []
        if not self.is_required and not self.allow_multiple_selected:
            options.append(self.create_option(name, "", "", False, 0))
        label = self.choices.field.label_from_instance(obj)
        options.append(self.create_option(name, obj.pk, label, True, len(options)))
        return [(None, options, 0)]


class PreloadedAutocompleteForm(forms.ModelForm):
    """A ModelForm that hands its instance's loaded foreign keys to PreloadedAutocompleteSelect widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            return
        for name, field in self.fields.items():
            widget = getattr(field.widget, "widget", field.widget)  # unwrap RelatedFieldWidgetWrapper
            if isinstance(widget, PreloadedAutocompleteSelect):
                # The relation is cached by select_related, so this reads memory, not the database.
                widget.preloaded = getattr(self.instance, name)
