# ModelVersion.kind: baselines (TF-IDF + LR) are registry versions like fine-tunes (issue 10).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0014_webhook_excerpt_faults_web'),
    ]

    operations = [
        migrations.AddField(
            model_name='modelversion',
            name='kind',
            field=models.CharField(choices=[('finetuned', 'Fine-tuned encoder'), ('tfidf_logreg', 'TF-IDF + logistic regression (baseline)')], default='finetuned', max_length=16),
        ),
    ]
