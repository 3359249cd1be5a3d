"""The API's token authentication, described in the OpenAPI schema as an HTTP Bearer scheme."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class PersonalAccessTokenScheme(OpenApiAuthenticationExtension):
    """Swagger UI's "Authorize" asks for a personal access token, sent as a Bearer token."""

    target_class = "accounts.authentication.BearerTokenAuthentication"
    name = "personalAccessToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal access token (mlr_…): create one on your profile page "
            "(/accounts/profile/) or with /api/v1/tokens/. Paste the token itself; it is sent as "
            "`Authorization: Bearer <token>`. Reading needs the read scope, changes need write.",
        }
