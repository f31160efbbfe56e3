# Issue 11 (membersml): seasonal and review-sentiment member features, and the member backtest runs.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0016_ops_observability"),
    ]

    operations = [
        migrations.AddField(
            model_name="memberfeatures",
            name="frequency_same_period_ly",
            field=models.IntegerField(
                default=0, help_text="Orders in the 90 days that began 365 days before the day after as_of."
            ),
        ),
        migrations.AddField(
            model_name="memberfeatures",
            name="monetary_same_period_ly",
            field=models.DecimalField(decimal_places=2, default=0, max_digits=14),
        ),
        migrations.AddField(
            model_name="memberfeatures",
            name="negative_reviews_90",
            field=models.IntegerField(default=0, help_text="Negative reviews in the 90 days up to as_of."),
        ),
        migrations.CreateModel(
            name="MemberBacktest",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("as_of", models.DateField(help_text="The cut-off: models see only data before the end of this day.")),
                ("horizon_days", models.PositiveIntegerField(default=90)),
                ("status", models.CharField(
                    choices=[("queued", "Queued"), ("running", "Running"), ("succeeded", "Succeeded"),
                             ("failed", "Failed")],
                    default="queued", max_length=16)),
                ("metrics", models.JSONField(blank=True, default=dict, help_text="Ours next to the baselines, per model.")),
                ("error", models.TextField(blank=True, help_text="Why the run failed, in words.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"ordering": ["-created_at"]},
        ),
    ]
