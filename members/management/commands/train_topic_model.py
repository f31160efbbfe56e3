"""manage.py train_topic_model  (TF-IDF + LR per topic against the keyword rules; seconds)."""

from django.core.management.base import BaseCommand

from members.reviews.services.topic_models import topic_model_train


class Command(BaseCommand):
    help = ("Train a topic model on the reviews people labelled and serve it only when it clearly beats the "
            "keyword rules on the newest of them (members/reviews/services/topic_models.py).")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, seed, **options):
        report = topic_model_train(seed=seed)
        if report.version is not None:
            test = report.version.metrics["test"]
            self.stdout.write(f"Trained {report.version.label}: macro-F1 {test['tfidf_logreg']['macro_f1']:.3f} "
                              f"vs keyword rules {test['keyword_rules']['macro_f1']:.3f} on "
                              f"{report.version.metrics['test_size']} labelled reviews.")
        self.stdout.write(report.reason)
        if report.relabelled:
            self.stdout.write(f"Relabelled the topics of {report.relabelled} reviews with {report.served}.")
        self.stdout.write(f"Topics are served by: {report.served}.")
