"""Drop three indexes that other indexes already cover: every order and order item written updates
each of them and they take disk, for no query they serve:

- members_order.member_id: order_member_placed (member_id, placed_at DESC) starts with it;
- members_orderitem.order_id: orderitem_unique_line (order_id, line_number) starts with it;
- members_orderitem.product_id: an exact copy of orderitem_product.

Only the indexes go: Django's AlterField(db_index=False) would also drop and re-add the foreign keys,
re-checking every row of the two largest tables under a lock, for nothing.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = ("members_order_member_id_48ff4e00", "members_orderitem_order_id_8f65d3a7",
           "members_orderitem_product_id_7a4de753")
RECREATE = (
    "CREATE INDEX IF NOT EXISTS members_order_member_id_48ff4e00 ON members_order (member_id)",
    "CREATE INDEX IF NOT EXISTS members_orderitem_order_id_8f65d3a7 ON members_orderitem (order_id)",
    "CREATE INDEX IF NOT EXISTS members_orderitem_product_id_7a4de753 ON members_orderitem (product_id)",
)


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0022_modelversion_keyword_rules"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="order",
                    name="member",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="orders", to="members.member"),
                ),
                migrations.AlterField(
                    model_name="orderitem",
                    name="order",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                            related_name="items", to="members.order"),
                ),
                migrations.AlterField(
                    model_name="orderitem",
                    name="product",
                    field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                            related_name="order_items", to="members.product"),
                ),
            ],
            database_operations=[
                migrations.RunSQL([f"DROP INDEX IF EXISTS {name}" for name in INDEXES], reverse_sql=list(RECREATE)),
            ],
        ),
    ]
