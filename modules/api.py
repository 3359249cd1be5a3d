"""REST endpoints for modules and their repositories. Thin: rules live in models/services."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import TokenScopePermission

from . import content as file_content
from . import services
from .models import DataType, Kind, Module
from .serializers import (
    BranchSerializer,
    CollaboratorSerializer,
    CommitFilesSerializer,
    CommitSerializer,
    ModuleSerializer,
    TreeEntrySerializer,
)


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


REF = OpenApiParameter("ref", str, description="Branch, tag or commit; default branch if omitted")
PATH = OpenApiParameter("path", str, description="Path inside the repository")


def get_module(request: Request, namespace: str, slug: str, need: str = "read") -> Module:
    """Load a module, hiding it (404) from users who may not read it."""
    module = services.find_module(namespace, slug).module
    if module is None or not module.can_read(request.user):
        raise Http404("Module not found.")
    if need != "read" and not request.user.is_authenticated:
        raise exceptions.NotAuthenticated()
    if need == "write" and not module.can_write(request.user):
        raise exceptions.PermissionDenied(f"You need write access to {module.full_name}.")
    if need == "admin" and not module.can_admin(request.user):
        raise exceptions.PermissionDenied(f"Only the owner may change {module.full_name}.")
    return module


class ModuleListView(generics.ListCreateAPIView):
    serializer_class = ModuleSerializer

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), TokenScopePermission()]
        return [TokenScopePermission()]

    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="Search in name and description"),
            OpenApiParameter("kind", str, enum=Kind.values),
            OpenApiParameter("data_type", str, enum=DataType.values),
            OpenApiParameter("owner", str),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params
        modules = Module.objects.visible_to(self.request.user).select_related("owner")
        if kind := params.get("kind"):
            if kind not in Kind.values:
                raise exceptions.ValidationError({"kind": f"Unknown kind '{kind}'."})
            modules = modules.filter(kind=kind)
        if data_type := params.get("data_type"):
            if data_type not in DataType.values:
                raise exceptions.ValidationError({"data_type": f"Unknown data type '{data_type}'."})
            modules = modules.filter(data_types__icontains=f'"{data_type}"')
        if owner := params.get("owner"):
            modules = modules.filter(owner__username=owner.lower())
        if query := params.get("q"):
            modules = modules.filter(Q(name__icontains=query) | Q(description__icontains=query))
        return modules

    def perform_create(self, serializer):
        serializer.instance = services.create_module(self.request.user, **serializer.validated_data)


class ModuleDetailView(APIView):
    @extend_schema(responses=ModuleSerializer)
    def get(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug)
        return Response(ModuleSerializer(module, context={"request": request}).data)

    @extend_schema(request=ModuleSerializer, responses=ModuleSerializer)
    def patch(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug, need="admin")
        serializer = ModuleSerializer(module, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        module = services.update_module(module, **serializer.validated_data)
        return Response(ModuleSerializer(module, context={"request": request}).data)

    @extend_schema(responses={204: None})
    def delete(self, request, namespace: str, slug: str):
        services.delete_module(get_module(request, namespace, slug, need="admin"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class CollaboratorListView(APIView):
    @extend_schema(responses=CollaboratorSerializer(many=True))
    def get(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug)
        collaborators = module.collaborators.select_related("user")
        return Response(CollaboratorSerializer(collaborators, many=True).data)

    @extend_schema(request=CollaboratorSerializer, responses=CollaboratorSerializer)
    def put(self, request, namespace: str, slug: str):
        """Add a collaborator or change their role."""
        module = get_module(request, namespace, slug, need="admin")
        serializer = CollaboratorSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        collaborator = services.set_collaborator(
            module, serializer.validated_data["user"]["username"], serializer.validated_data["role"]
        )
        return Response(CollaboratorSerializer(collaborator).data)


class CollaboratorDetailView(APIView):
    @extend_schema(responses={204: None})
    def delete(self, request, namespace: str, slug: str, username: str):
        module = get_module(request, namespace, slug, need="admin")
        if not services.remove_collaborator(module, username):
            raise Http404(f"'{username}' is not a collaborator.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class BranchListView(APIView):
    @extend_schema(responses=BranchSerializer(many=True))
    def get(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug)
        branches = [
            {"name": b.name, "commit": b.commit, "is_default": b.name == module.default_branch}
            for b in module.repository.branches()
        ]
        return Response(BranchSerializer(branches, many=True).data)


class CommitListView(APIView):
    @extend_schema(
        parameters=[REF, PATH, OpenApiParameter("limit", int), OpenApiParameter("skip", int)],
        responses=CommitSerializer(many=True),
    )
    def get(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug)
        params = request.query_params
        try:
            limit = min(max(int(params.get("limit", 50)), 1), 500)
            skip = max(int(params.get("skip", 0)), 0)
        except ValueError:
            raise exceptions.ValidationError(
                {"limit": "limit and skip must be integers."}
            ) from None
        if module.repository.is_empty():
            return Response([])
        items = module.repository.commits(
            params.get("ref") or module.head_branch, params.get("path", ""), limit, skip
        )
        return Response(CommitSerializer(items, many=True).data)

    @extend_schema(request=CommitFilesSerializer, responses={201: CommitSerializer})
    def post(self, request, namespace: str, slug: str):
        """Add or update files in one commit authored by the caller."""
        module = get_module(request, namespace, slug, need="write")
        # DRF's parsers read the body without Django's size check: refuse before reading.
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge(
                f"The request is {length} bytes; the limit is "
                f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes (base64 included)."
            )
        serializer = CommitFilesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        files = {change["path"]: change["data"] for change in data["files"]}
        sha = services.commit_files(
            module,
            request.user,
            data.get("branch") or module.default_branch,
            files,
            data["message"],
        )
        commit = module.repository.commit_info(sha)
        return Response(CommitSerializer(commit).data, status=status.HTTP_201_CREATED)


class TreeView(APIView):
    @extend_schema(parameters=[REF, PATH], responses=TreeEntrySerializer(many=True))
    def get(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug)
        if module.repository.is_empty():
            return Response([])
        ref = request.query_params.get("ref") or module.head_branch
        entries = module.repository.tree(ref, request.query_params.get("path", "").strip("/"))
        return Response(TreeEntrySerializer(entries, many=True).data)


class RawFileView(APIView):
    @extend_schema(parameters=[REF, PATH], responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug)
        path = request.query_params.get("path", "")
        if not path:
            raise exceptions.ValidationError({"path": "A file path is required."})
        ref = request.query_params.get("ref") or module.head_branch
        content = file_content.resolve(module, ref, path)
        if not content.available:
            raise Http404("This LFS file's object was never uploaded.")
        return file_content.download(content)
