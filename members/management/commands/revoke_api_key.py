"""manage.py revoke_api_key PREFIX"""

from django.core.management.base import BaseCommand, CommandError

from members.partners.services.api_keys import ApiKeyError, api_key_revoke


class Command(BaseCommand):
    help = "Revoke a partner API key by its 8-character prefix; requests with it get 401 at once."

    def add_arguments(self, parser):
        parser.add_argument("prefix")

    def handle(self, *args, prefix, **options):
        try:
            key = api_key_revoke(prefix=prefix)
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Revoked {key.name} ({key.prefix}) at {key.revoked_at.isoformat()}.")
