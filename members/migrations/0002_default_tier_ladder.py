from decimal import Decimal

from django.db import migrations

DEFAULT_LADDER = [
    ("basic", "Basic", 0, Decimal(0), 0, "Member prices and order tracking."),
    ("silver", "Silver", 1, Decimal(500), 3, "Free standard shipping; birthday voucher."),
    ("gold", "Gold", 2, Decimal(2000), 8, "Free express shipping; early access to sales; 60-day returns."),
    ("platinum", "Platinum", 3, Decimal(5000), 15, "Personal shopper; free returns; invitations to events."),
]


def create_ladder(apps, schema_editor):
    Tier = apps.get_model("members", "Tier")
    for code, name, rank, min_spend, min_orders, benefits in DEFAULT_LADDER:
        Tier.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                rank=rank,
                min_spend=min_spend,
                min_orders=min_orders,
                qualifying_window_days=365,
                benefits=benefits,
            ),
        )


def remove_ladder(apps, schema_editor):
    Tier = apps.get_model("members", "Tier")
    Tier.objects.filter(code__in=[row[0] for row in DEFAULT_LADDER], members__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0001_initial")]
    operations = [migrations.RunPython(create_ladder, remove_ladder)]
