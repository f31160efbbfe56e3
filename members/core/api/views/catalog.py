"""/api/v1/products/: list, read, PUT-upsert by sku."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from members.api.docs import api_operation
from members.api.upserts import upsert_one, validate_put
from members.api.views.base import ApiViewSet, LeanListMixin
from members.core.api.filters import ProductFilterSet
from members.core.api.serializers.catalog import (
    PRODUCT_LIST_FIELDS,
    ProductSerializer,
    ProductWriteSerializer,
    product_rows_out,
)
from members.core.selectors.api_reads import api_product_queryset
from members.core.services.api_upserts import product_upsert_many

READ, WRITE = ("products:read",), ("products:write",)
_PRODUCT = {"title": "Linen shirt", "description": "Relaxed fit, stone washed.", "category": "Tops",
            "brand": "Northwind", "price": "49.90", "currency": "GBP", "active": True}
_PRODUCT_OUT = {"sku": "LS-001", **_PRODUCT, "created_at": "2024-01-05T10:00:00Z",
                "updated_at": "2024-04-02T08:15:00Z"}


@extend_schema_view(
    list=api_operation(summary="List products", scopes=READ,
                       examples=[OpenApiExample("Product", value=_PRODUCT_OUT, response_only=True)]),
    retrieve=api_operation(summary="Read a product", scopes=READ, detail=True,
                           examples=[OpenApiExample("Product", value=_PRODUCT_OUT, response_only=True)]),
    update=api_operation(
        summary="Create or update a product", scopes=WRITE, write=True, request=ProductWriteSerializer,
        responses={200: ProductSerializer, 201: ProductSerializer},
        description="Idempotent upsert by sku: 201 when created, 200 otherwise.",
        examples=[OpenApiExample("Product", value=_PRODUCT, request_only=True),
                  OpenApiExample("Stored product", value=_PRODUCT_OUT, response_only=True)],
    ),
)
class ProductViewSet(LeanListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ProductSerializer
    list_fields, list_rows_out = PRODUCT_LIST_FIELDS, staticmethod(product_rows_out)
    filterset_class = ProductFilterSet
    lookup_field = "sku"
    lookup_value_regex = "[^/]+"
    read_scopes, write_scopes = READ, WRITE

    def get_queryset(self):
        return api_product_queryset()

    def update(self, request, sku: str):
        record = validate_put(serializer_class=ProductWriteSerializer, data=request.data, key_field="sku", key=sku)
        result = upsert_one(upsert_many=product_upsert_many, record=record)
        product = api_product_queryset().get(pk=result.pk)
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response(ProductSerializer(product).data, status=code)
