from __future__ import annotations

from django.shortcuts import get_object_or_404
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
        serializer = TokenSerializer(data=request.data)
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
