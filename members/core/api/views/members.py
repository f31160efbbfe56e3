"""/api/v1/members/: list, read, PUT-upsert by external_id, bulk upsert."""

from drf_spectacular.utils import OpenApiExample, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from members.api.docs import api_operation
from members.api.serializers.bulk import BulkResponseSerializer, bulk_request_serializer
from members.api.upserts import bulk_upsert, upsert_one, validate_put
from members.api.views.base import ApiViewSet, LeanListMixin
from members.core.api.filters import MemberFilterSet
from members.core.api.serializers.members import (
    MEMBER_LIST_FIELDS,
    MemberBulkRecordSerializer,
    MemberSerializer,
    MemberWriteSerializer,
    member_rows_out,
)
from members.core.selectors.api_reads import api_member_queryset
from members.core.services.api_upserts import member_upsert_many

READ, WRITE = ("members:read",), ("members:write",)
_MEMBER = {
    "external_id": "C-10023", "email": "ada@example.com", "name": "Ada Lovelace",
    "joined_at": "2024-03-01T09:30:00Z", "country": "United Kingdom", "city": "London", "birth_year": 1985,
    "gender": "f", "status": "active", "marketing_consent": True,
}
_MEMBER_OUT = {**_MEMBER, "tier": "basic", "created_at": "2024-03-01T09:31:02Z",
               "updated_at": "2024-05-11T16:02:45Z"}
_BULK_OUT = {"counts": {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}, "results": [
    {"index": 0, "external_id": "C-10023", "status": "created", "errors": {}},
    {"index": 1, "external_id": "C-10024", "status": "rejected", "errors": {"joined_at": ["This field is required."]}},
]}


@extend_schema_view(
    list=api_operation(summary="List members", scopes=READ,
                       description="Newest first, cursor-paginated. Filter with updated_since to sync.",
                       examples=[OpenApiExample("A page", value=_MEMBER_OUT, response_only=True)]),
    retrieve=api_operation(summary="Read a member", scopes=READ, detail=True,
                           examples=[OpenApiExample("Member", value=_MEMBER_OUT, response_only=True)]),
    update=api_operation(
        summary="Create or update a member", scopes=WRITE, write=True, request=MemberWriteSerializer,
        responses={200: MemberSerializer, 201: MemberSerializer},
        description="Idempotent upsert by external id: 201 when created, 200 otherwise. A replay that "
                    "changes nothing leaves updated_at as it was. The tier is read-only (new members "
                    "start in the entry tier).",
        examples=[OpenApiExample("Member", value={k: v for k, v in _MEMBER.items() if k != "external_id"},
                                 request_only=True),
                  OpenApiExample("Stored member", value=_MEMBER_OUT, response_only=True)],
    ),
    bulk=api_operation(
        summary="Bulk create or update members", scopes=WRITE, write=True,
        request=bulk_request_serializer(MemberBulkRecordSerializer, "MemberBulkRequest"),
        responses={200: BulkResponseSerializer},
        description="Up to 1,000 records; each is created, updated, unchanged or rejected with field "
                    "errors on its own.",
        examples=[OpenApiExample("Two members", value={"records": [_MEMBER, {"external_id": "C-10024"}]},
                                 request_only=True),
                  OpenApiExample("Results", value=_BULK_OUT, response_only=True)],
    ),
)
class MemberViewSet(LeanListMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = MemberSerializer
    list_fields, list_rows_out = MEMBER_LIST_FIELDS, staticmethod(member_rows_out)
    filterset_class = MemberFilterSet
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"
    read_scopes, write_scopes = READ, WRITE

    def get_queryset(self):
        return api_member_queryset()

    def update(self, request, external_id: str):
        record = validate_put(serializer_class=MemberWriteSerializer, data=request.data,
                              key_field="external_id", key=external_id)
        result = upsert_one(upsert_many=member_upsert_many, record=record)
        member = api_member_queryset().get(pk=result.pk)
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response(MemberSerializer(member).data, status=code)

    @action(detail=False, methods=["post"], url_path="bulk")
    def bulk(self, request):
        body = bulk_upsert(data=request.data, record_serializer=MemberBulkRecordSerializer,
                           key_field="external_id", upsert_many=member_upsert_many)
        return Response(body)
