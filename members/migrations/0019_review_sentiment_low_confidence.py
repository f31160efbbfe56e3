from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0018_importjob_enqueued_faults_infra'),
    ]

    operations = [
        migrations.AddField(
            model_name='review',
            name='sentiment_low_confidence',
            field=models.BooleanField(db_default=False, default=False),
        ),
    ]
