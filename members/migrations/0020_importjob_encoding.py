from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0019_review_sentiment_low_confidence"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="encoding",
            field=models.CharField(
                db_default="auto", default="auto", max_length=16,
                help_text="How to read the file: auto, utf-8, gb18030 or utf-16 (import_csv --encoding).",
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="encoding_used",
            field=models.CharField(
                blank=True, db_default="", default="", max_length=64,
                help_text='What the file was read as, e.g. "GB18030 (detected)".',
            ),
        ),
    ]
