from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _ensure_groups(sender, **kwargs):
    from members.accounts.roles import roles_ensure_groups

    roles_ensure_groups()


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Permissions only exist after migrate, so groups are (re)built after it, idempotently.
        post_migrate.connect(_ensure_groups, sender=self)
