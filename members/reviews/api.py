"""/api/v1/model-versions/ (read only): the review models, which one is served, and by how much each
beat (or lost to) the TF-IDF + LR baseline and the model active at the time, with paired bootstrap
intervals (members/reviews/services/model_registry.py)."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, serializers

from members.api.docs import api_operation
from members.api.views.base import ApiViewSet
from members.models import ModelVersion

READ = ("reviews:read",)
_MARGIN = {"delta": 0.031, "low": 0.008, "high": 0.055, "n": 962, "confidence": 0.95}
_VERSION = {"id": 7, "label": "sentiment-v3", "task": "sentiment", "kind": "finetuned", "status": "active",
            "test_macro_f1": 0.652, "baseline_macro_f1": 0.621, "test_rows": 962, "vs_baseline": _MARGIN,
            "vs_active": None, "decision": "The fine-tuned model is clearly better: serving it (...).",
            "base_model": "sentence-transformers/all-MiniLM-L6-v2", "created_at": "2026-12-03T07:50:00Z",
            "activated_at": "2026-12-03T07:50:01Z"}


class MarginSerializer(serializers.Serializer):
    delta = serializers.FloatField(help_text="Macro-F1 of this version minus the other model's, same test rows.")
    low = serializers.FloatField(help_text="Lower end of the paired bootstrap interval; > 0 means a clear win.")
    high = serializers.FloatField()
    n = serializers.IntegerField(help_text="Test reviews compared.")
    confidence = serializers.FloatField()


class ModelVersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True, help_text='What Review.model_version holds, e.g. "sentiment-v3".')
    kind = serializers.CharField(read_only=True, help_text='"finetuned", "tfidf_logreg" (the sentiment baseline, or a '
                                                          'trained topic model) or "keyword_rules" (the topic baseline).')
    test_macro_f1 = serializers.SerializerMethodField()
    baseline_macro_f1 = serializers.SerializerMethodField(
        help_text="The task's baseline on the same test split: TF-IDF + LR (sentiment), the keyword rules (topics).")
    test_rows = serializers.SerializerMethodField()
    vs_baseline = serializers.SerializerMethodField(help_text="This version minus the task's baseline; null for a baseline.")
    vs_active = serializers.SerializerMethodField(help_text="This version minus the one active when it was trained.")
    decision = serializers.SerializerMethodField(help_text="Why it is (not) served, in words.")

    class Meta:
        model = ModelVersion
        fields = ("id", "label", "task", "kind", "status", "test_macro_f1", "baseline_macro_f1", "test_rows",
                  "vs_baseline", "vs_active", "decision", "base_model", "created_at", "activated_at")
        read_only_fields = fields

    def get_test_macro_f1(self, obj) -> float | None:
        return obj.test_metrics().get("macro_f1")

    def get_baseline_macro_f1(self, obj) -> float | None:
        return obj.test_metrics(obj.baseline_kind).get("macro_f1")

    def get_test_rows(self, obj) -> int | None:
        return obj.metrics.get("test_size")

    def _margin(self, comparison):
        if not comparison:
            return None
        return {key: comparison[key] for key in ("delta", "low", "high", "n", "confidence")}

    def get_vs_baseline(self, obj) -> MarginSerializer | None:
        return None if obj.kind == obj.baseline_kind else self._margin(obj.decision.get("vs_baseline"))

    def get_vs_active(self, obj) -> MarginSerializer | None:
        return self._margin(obj.decision.get("vs_active"))

    def get_decision(self, obj) -> str:
        return obj.decision.get("reason", "")


@extend_schema_view(
    list=api_operation(summary="List review model versions", scopes=READ,
                       description="Newest first. The served version has status `active`.",
                       examples=[OpenApiExample("Model version", value=_VERSION, response_only=True)]),
    retrieve=api_operation(summary="Read a review model version", scopes=READ, detail=True,
                           examples=[OpenApiExample("Model version", value=_VERSION, response_only=True)]),
)
class ModelVersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ModelVersionSerializer
    read_scopes = READ

    def get_queryset(self):
        return ModelVersion.objects.order_by("-id")
