"""Operations (issue 17): the signature scheme of webhook subscriptions, and ScheduledRun.

Existing subscriptions get "legacy": their receivers verify X-MemberHub-Signature today and must
not break on deploy. Subscriptions created afterwards default to Standard Webhooks.
"""

from django.db import migrations, models

import members.partners.models.webhook


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0015_modelversion_kind_reviewml"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhooksubscription",
            name="signature_scheme",
            field=models.CharField(
                choices=[
                    ("standard", "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)"),
                    ("legacy", "Legacy MemberHub (X-MemberHub-Signature)"),
                ],
                default="legacy",
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="signature_scheme",
            field=models.CharField(
                choices=[
                    ("standard", "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature)"),
                    ("legacy", "Legacy MemberHub (X-MemberHub-Signature)"),
                ],
                default="standard",
                help_text="Standard Webhooks lets receivers verify with an existing library; legacy keeps the "
                "X-MemberHub-Signature header for receivers built before it.",
                max_length=16,
            ),
        ),
        migrations.AlterField(
            model_name="webhooksubscription",
            name="secret",
            field=models.CharField(
                default=members.partners.models.webhook.generate_webhook_secret,
                help_text="Signs every request. Share it with the receiver only.",
                max_length=128,
            ),
        ),
        migrations.CreateModel(
            name="ScheduledRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("task_name", models.CharField(max_length=200)),
                (
                    "task_id",
                    models.CharField(help_text="Celery's id for this run.", max_length=64, unique=True),
                ),
                (
                    "args",
                    models.JSONField(
                        blank=True, default=list, help_text="The task's positional arguments, to retry it."
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("running", "Running"), ("succeeded", "Succeeded"), ("failed", "Failed")],
                        default="running",
                        max_length=16,
                    ),
                ),
                ("error", models.TextField(blank=True, help_text="Why it failed, as the exception said it.")),
                ("started_at", models.DateTimeField()),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "retried_at",
                    models.DateTimeField(
                        blank=True, help_text="When staff retried this failed run.", null=True
                    ),
                ),
            ],
            options={
                "ordering": ["-started_at", "-id"],
                "indexes": [
                    models.Index(fields=["task_name", "-started_at"], name="scheduledrun_task_started"),
                    models.Index(fields=["status", "-started_at"], name="scheduledrun_status_started"),
                ],
            },
        ),
    ]
