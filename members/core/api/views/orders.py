"""/api/v1/orders/ (items nested) and /api/v1/reviews/: list, read, PUT-upsert, bulk upsert."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from members.api.docs import api_operation
from members.api.serializers.bulk import BulkResponseSerializer, bulk_request_serializer
from members.api.upserts import bulk_upsert, upsert_one, validate_put
from members.api.views.base import ApiViewSet, LeanListMixin
from members.core.api.filters import OrderFilterSet, ReviewFilterSet
from members.core.api.serializers.orders import (
    ORDER_LIST_FIELDS,
    OrderBulkRecordSerializer,
    OrderSerializer,
    OrderWriteSerializer,
    order_rows_out,
)
from members.core.api.serializers.reviews import (
    REVIEW_LIST_FIELDS,
    ReviewBulkRecordSerializer,
    ReviewSerializer,
    ReviewWriteSerializer,
    review_rows_out,
)
from members.core.selectors.api_reads import api_order_queryset, api_review_queryset
from members.core.services.api_upserts import order_upsert_many, review_upsert_many

_ORDER = {"external_id": "O-5001", "member": "C-10023", "placed_at": "2024-05-10T14:03:00Z",
          "status": "paid", "channel": "web", "currency": "GBP", "total": "99.80",
          "items": [{"line_number": 1, "sku": "LS-001", "quantity": 2, "unit_price": "49.90"}]}
_ORDER_OUT = {**_ORDER, "created_at": "2024-05-10T14:03:05Z", "updated_at": "2024-05-10T14:03:05Z"}
_REVIEW = {"external_id": "R-777", "member": "C-10023", "product": "LS-001", "order": "O-5001", "rating": 5,
           "title": "Lovely fabric", "body": "Fits true to size.", "language": "en",
           "created_at": "2024-05-20T18:00:00Z"}
_REVIEW_OUT = {**_REVIEW, "updated_at": "2024-05-20T18:00:01Z", "sentiment": "positive",
               "sentiment_confidence": 0.97,
               "sentiment_probabilities": {"negative": 0.01, "neutral": 0.02, "positive": 0.97},
               "topics": ["size_fit", "product_quality"],
               "entities": [],
               "model_version": "sentiment-v3", "scored_at": "2024-05-20T18:00:40Z"}
_BULK_OUT = {"counts": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}, "results": [
    {"index": 0, "external_id": "O-5001", "status": "created", "errors": {}},
    {"index": 1, "external_id": "O-5002", "status": "rejected",
     "errors": {"items[0].sku": ["Unknown product sku 'NOPE'."]}},
]}


def _without_key(example: dict) -> dict:
    return {k: v for k, v in example.items() if k != "external_id"}


class _UpsertViewSet(LeanListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Lean list, read, PUT .../<external_id>/ and POST .../bulk/ for a resource keyed by external_id."""

    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"
    write_serializer_class = None
    bulk_record_serializer_class = None
    upsert_many = None

    def update(self, request, external_id: str):
        record = validate_put(serializer_class=self.write_serializer_class, data=request.data,
                              key_field="external_id", key=external_id)
        result = upsert_one(upsert_many=type(self).upsert_many, record=record)
        instance = self.get_queryset().get(pk=result.pk)
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response(self.get_serializer(instance).data, status=code)

    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        body = bulk_upsert(data=request.data, record_serializer=self.bulk_record_serializer_class,
                           key_field="external_id", upsert_many=type(self).upsert_many)
        return Response(body)


@extend_schema_view(
    list=api_operation(summary="List orders", scopes=("orders:read",),
                       description="Newest first, cursor-paginated, items nested.",
                       examples=[OpenApiExample("Order", value=_ORDER_OUT, response_only=True)]),
    retrieve=api_operation(summary="Read an order", scopes=("orders:read",), detail=True,
                           examples=[OpenApiExample("Order", value=_ORDER_OUT, response_only=True)]),
    update=api_operation(
        summary="Create or update an order with its items", scopes=("orders:write",), write=True,
        request=OrderWriteSerializer, responses={200: OrderSerializer, 201: OrderSerializer},
        description="Idempotent upsert by external id (201 created / 200 otherwise). The order and its items "
                    "are written together or not at all; omit items to keep the stored ones.",
        examples=[OpenApiExample("Order", value=_without_key(_ORDER), request_only=True),
                  OpenApiExample("Stored order", value=_ORDER_OUT, response_only=True)],
    ),
    bulk=api_operation(
        summary="Bulk create or update orders", scopes=("orders:write",), write=True,
        request=bulk_request_serializer(OrderBulkRecordSerializer, "OrderBulkRequest"),
        responses={200: BulkResponseSerializer},
        description="Up to 1,000 orders; an order whose member or item skus are unknown is rejected whole.",
        examples=[OpenApiExample("Orders", value={"records": [_ORDER]}, request_only=True),
                  OpenApiExample("Results", value=_BULK_OUT, response_only=True)],
    ),
)
class OrderViewSet(_UpsertViewSet):
    serializer_class = OrderSerializer
    list_fields, list_rows_out = ORDER_LIST_FIELDS, staticmethod(order_rows_out)
    write_serializer_class = OrderWriteSerializer
    bulk_record_serializer_class = OrderBulkRecordSerializer
    upsert_many = staticmethod(order_upsert_many)
    filterset_class = OrderFilterSet
    read_scopes, write_scopes = ("orders:read",), ("orders:write",)

    def get_queryset(self):
        return api_order_queryset()


@extend_schema_view(
    list=api_operation(summary="List reviews", scopes=("reviews:read",),
                       examples=[OpenApiExample("Review", value=_REVIEW_OUT, response_only=True)]),
    retrieve=api_operation(summary="Read a review", scopes=("reviews:read",), detail=True,
                           description="With its analysis: sentiment and probabilities, topics, entities (brand, "
                                       "product and price mentions with character offsets into the body), the model "
                                       "version and when it was scored. Analysis fields are empty until scored.",
                           examples=[OpenApiExample("Review", value=_REVIEW_OUT, response_only=True)]),
    update=api_operation(
        summary="Create or update a review", scopes=("reviews:write",), write=True,
        request=ReviewWriteSerializer, responses={200: ReviewSerializer, 201: ReviewSerializer},
        description="Idempotent upsert by external id (201 created / 200 otherwise). Sentiment and topics "
                    "are filled by MemberHub's models and cannot be written.",
        examples=[OpenApiExample("Review", value=_without_key(_REVIEW), request_only=True),
                  OpenApiExample("Stored review", value=_REVIEW_OUT, response_only=True)],
    ),
    bulk=api_operation(
        summary="Bulk create or update reviews", scopes=("reviews:write",), write=True,
        request=bulk_request_serializer(ReviewBulkRecordSerializer, "ReviewBulkRequest"),
        responses={200: BulkResponseSerializer},
        description="Up to 1,000 reviews, each accepted or rejected on its own.",
        examples=[OpenApiExample("Reviews", value={"records": [_REVIEW]}, request_only=True)],
    ),
)
class ReviewViewSet(_UpsertViewSet):
    serializer_class = ReviewSerializer
    list_fields, list_rows_out = REVIEW_LIST_FIELDS, staticmethod(review_rows_out)
    write_serializer_class = ReviewWriteSerializer
    bulk_record_serializer_class = ReviewBulkRecordSerializer
    upsert_many = staticmethod(review_upsert_many)
    filterset_class = ReviewFilterSet
    read_scopes, write_scopes = ("reviews:read",), ("reviews:write",)

    def get_queryset(self):
        return api_review_queryset()
