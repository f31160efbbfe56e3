"""Seed the six default review topics. Staff may edit or extend them afterwards (admin: Topics).

A frozen copy of ml/topics.py DEFAULT_TOPICS at the time of writing (a migration must not change
when that module does): the descriptions and keywords are what the weak topic labeller uses.
"""

from django.db import migrations

DEFAULT_TOPICS = [
    ('product_quality', 'Product quality',
     'The material, fabric, stitching, durability or workmanship of the product; whether it is well made or falls apart.',
     ['quality', 'material', 'fabric', 'well made', 'poorly made', 'cheaply made', 'stitching', 'seam', 'durable', 'flimsy', 'sturdy', 'fell apart', 'ripped', 'tear', 'pilling', 'pilled', 'see through', 'sheer', 'defect', 'defective', 'craftsmanship', 'shrank', 'faded', 'cheap', 'cheaply']),
    ('size_fit', 'Size and fit',
     'How the product fits the body: too small, too large, runs big or small, length, true to size, which size to order.',
     ['fit', 'size', 'sizing', 'too small', 'too big', 'too large', 'too tight', 'too loose', 'runs small', 'runs large', 'runs big', 'true to size', 'petite', 'length', 'tight', 'loose', 'baggy', 'snug', 'roomy', 'oversized', 'size up', 'size down', 'xs', 'waist', 'inseam']),
    ('delivery_logistics', 'Delivery and logistics',
     'Shipping and delivery of the order: how fast it arrived, delays, tracking, the courier, lost or late parcels.',
     ['delivery', 'deliver', 'shipping', 'shipped', 'ship', 'arrived', 'arrive', 'arrived late', 'late delivery', 'delayed', 'delay', 'courier', 'tracking', 'parcel', 'dispatch', 'on time', 'took weeks', 'never arrived', 'backordered', 'back order']),
    ('price_value', 'Price and value',
     'The price of the product and whether it is worth the money: expensive, cheap, on sale, good value for money.',
     ['price', 'priced', 'pricey', 'expensive', 'overpriced', 'value', 'worth', 'money', 'cost', 'sale', 'discount', 'bargain', 'affordable', 'full price', 'dollars', 'markdown']),
    ('customer_service', 'Customer service',
     "Dealing with the shop's staff or support: help from customer service, returns, refunds, exchanges, complaints.",
     ['customer service', 'customer support', 'staff', 'sales associate', 'sales lady', 'saleswoman', 'representative', 'refund', 'return', 'exchange', 'store manager', 'rude', 'complaint']),
    ('packaging', 'Packaging',
     'How the product was packed: the box, bag, wrapping, packaging damage, tags, how it looked on arrival.',
     ['packaging', 'package', 'packed', 'box', 'wrapped', 'wrapping', 'envelope', 'crushed', 'tissue paper']),
]


def seed_topics(apps, schema_editor):
    Topic = apps.get_model("members", "Topic")
    for code, name, description, keywords in DEFAULT_TOPICS:
        Topic.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "keywords": keywords, "active": True}
        )


def remove_topics(apps, schema_editor):
    Topic = apps.get_model("members", "Topic")
    Topic.objects.filter(code__in=[code for code, *_ in DEFAULT_TOPICS], review_labels__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("members", "0009_review_intelligence")]

    operations = [migrations.RunPython(seed_topics, remove_topics)]
