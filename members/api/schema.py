"""drf-spectacular extension: API keys as security schemes, with each operation's scopes listed."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from members.api.permissions import required_scopes


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "members.api.authentication.ApiKeyAuthentication"
    name = ["ApiKeyBearer", "ApiKeyHeader"]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "http", "scheme": "bearer", "bearerFormat": "mh_<prefix>_<secret>",
             "description": "Authorization: Bearer <key>"},
            {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        ]

    def get_security_requirement(self, auto_schema):
        scopes = required_scopes(auto_schema.view, auto_schema.method)
        return [{"ApiKeyBearer": scopes}, {"ApiKeyHeader": scopes}]
