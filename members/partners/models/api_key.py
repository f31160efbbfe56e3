from django.conf import settings
from django.db import models


class ApiKey(models.Model):
    """A partner's credential for the REST API.

    The full key ("mh_<prefix>_<secret>") is shown once when created; only its SHA-256 is stored.
    Keys carry 32 random bytes, so a fast hash is enough: there is nothing to brute-force.
    """

    name = models.CharField(max_length=100, help_text="Who or what uses this key, e.g. 'Shopify sync'.")
    prefix = models.CharField(max_length=8, unique=True, help_text="Shown in lists to tell keys apart.")
    hashed_key = models.CharField(max_length=64, help_text="SHA-256 hex digest of the full key.")
    scopes = models.JSONField(default=list, blank=True, help_text='e.g. ["members:read", "orders:write"]')
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Updated at most once a minute, so it lags by up to a minute."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
