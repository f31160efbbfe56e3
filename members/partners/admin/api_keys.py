"""Partner API keys: create (the key is shown once), list with last use, revoke. Never edited."""

from django import forms
from django.contrib import admin, messages

from members.models import ApiKey
from members.partners.scopes import SCOPES
from members.partners.services.api_keys import ApiKeyError, api_key_create, api_key_revoke


class ApiKeyCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(scope, f"{scope} — {text}") for scope, text in SCOPES.items()],
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = ApiKey
        fields = ("name", "scopes")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "scope_list", "created_at", "created_by", "last_used_at", "revoked_at")
    list_select_related = ("created_by",)
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix")
    readonly_fields = ("name", "prefix", "scopes", "created_at", "created_by", "last_used_at", "revoked_at")
    actions = ("revoke_keys",)

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiKey) -> str:
        return ", ".join(obj.scopes)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyCreateForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return ("name", "scopes") if obj is None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # The detail page is read-only: a key's scopes never change under a partner (issue a new one).
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the row stays as a record of who had access

    def save_model(self, request, obj, form, change):
        issued = api_key_create(name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"],
                                created_by=request.user)
        obj.pk = issued.api_key.pk
        messages.warning(request, f"API key for {issued.api_key.name}: {issued.raw_key} — copy it now; "
                                  "it is not shown again.")

    def log_addition(self, request, obj, message):
        obj.refresh_from_db()
        return super().log_addition(request, obj, message)

    @admin.action(description="Revoke selected API keys", permissions=["change"])
    def revoke_keys(self, request, queryset):
        revoked = 0
        for prefix in queryset.filter(revoked_at__isnull=True).values_list("prefix", flat=True):
            try:
                api_key_revoke(prefix=prefix)
                revoked += 1
            except ApiKeyError as exc:
                messages.error(request, str(exc))
        messages.success(request, f"Revoked {revoked} API key(s).")
