from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import TOKEN_SCOPES, PersonalAccessToken, User
from .permissions import TokenScopePermission


class UserSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ("id", "username", "email", "first_name", "last_name", "date_joined")
        read_only_fields = fields


class TokenSerializer(serializers.ModelSerializer):
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TOKEN_SCOPES), allow_empty=False
    )
    status = serializers.CharField(read_only=True)

    class Meta:
        model = PersonalAccessToken
        fields = (
            "id",
            "name",
            "token_start",
            "scopes",
            "status",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
        )
        read_only_fields = ("token_start", "created_at", "last_used_at", "revoked_at")

    def validate(self, attrs):
        """A new token expires in the future and, when a token creates it, never outlives or
        out-scopes that token (a short-lived token cannot mint a lasting one)."""
        expires_at = attrs.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            raise serializers.ValidationError({"expires_at": "The expiry must be in the future."})
        creator = getattr(self.context.get("request"), "auth", None)
        if isinstance(creator, PersonalAccessToken):
            extra = sorted(s for s in set(attrs.get("scopes", [])) if not creator.has_scope(s))
            if extra:
                raise serializers.ValidationError(
                    {"scopes": f"The token you use lacks {', '.join(extra)}; it cannot grant it."}
                )
            if creator.expires_at is not None and (
                expires_at is None or expires_at > creator.expires_at
            ):
                raise serializers.ValidationError(
                    {
                        "expires_at": "The token you use expires at "
                        f"{creator.expires_at.isoformat()}; a token it creates must expire "
                        "by then too."
                    }
                )
        return attrs


class NewTokenSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="Shown once; store it now.")

    class Meta(TokenSerializer.Meta):
        fields = (*TokenSerializer.Meta.fields, "token")


class MeView(APIView):
    permission_classes = [IsAuthenticated, TokenScopePermission]

    @extend_schema(responses=UserSerializer)
    def get(self, request):
        return Response(UserSerializer(request.user).data)


class TokenListView(APIView):
    permission_classes = [IsAuthenticated, TokenScopePermission]

    @extend_schema(responses=TokenSerializer(many=True))
    def get(self, request):
        return Response(TokenSerializer(request.user.tokens.all(), many=True).data)

    @extend_schema(request=TokenSerializer, responses={201: NewTokenSerializer})
    def post(self, request):
        serializer = TokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        token, raw = PersonalAccessToken.issue(request.user, **serializer.validated_data)
        data = NewTokenSerializer(token).data
        data["token"] = raw
        return Response(data, status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    permission_classes = [IsAuthenticated, TokenScopePermission]

    @extend_schema(responses=TokenSerializer)
    def get(self, request, token_id: int):
        token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
        return Response(TokenSerializer(token).data)

    @extend_schema(responses={204: None})
    def delete(self, request, token_id: int):
        """Revoke the token; it stays listed as revoked."""
        token = get_object_or_404(PersonalAccessToken, pk=token_id, user=request.user)
        token.revoke()
        return Response(status=status.HTTP_204_NO_CONTENT)
