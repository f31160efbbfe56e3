"""manage.py create_api_key NAME --scopes members:read,orders:write  (prints the key once)."""

from django.core.management.base import BaseCommand, CommandError

from members.partners.scopes import ALL_SCOPES
from members.partners.services.api_keys import ApiKeyError, api_key_create


class Command(BaseCommand):
    help = "Issue a partner API key and print it once (only its hash is stored)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Who uses the key, e.g. 'Shopify sync'.")
        parser.add_argument("--scopes", required=True,
                            help=f"Comma-separated, or 'all'. Known: {', '.join(ALL_SCOPES)}.")

    def handle(self, *args, name, scopes, **options):
        scope_list = list(ALL_SCOPES) if scopes.strip() == "all" else scopes.split(",")
        try:
            issued = api_key_create(name=name, scopes=scope_list)
        except ApiKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stderr.write(f"Created API key {issued.api_key.prefix} with scopes "
                          f"{', '.join(issued.api_key.scopes)}. Store it now; it is not shown again:")
        self.stdout.write(issued.raw_key)
