"""REST endpoints for publications and base environments."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from modules.api import get_module

from . import services
from .models import BaseEnvironment, Publication
from .serializers import (
    BaseEnvironmentSerializer,
    LogLineSerializer,
    PublicationSerializer,
    StartPublicationSerializer,
)


def get_publication(request, namespace: str, slug: str, version: int, need: str = "read"):
    module = get_module(request, namespace, slug, need)
    services.reap_stale_publications(module.publications.filter(version=version))
    return get_object_or_404(
        Publication.objects.select_related("base_environment", "published_by", "module__owner"),
        module=module,
        version=version,
    )


class BaseEnvironmentListView(APIView):
    @extend_schema(responses=BaseEnvironmentSerializer(many=True))
    def get(self, request):
        environments = BaseEnvironment.objects.filter(active=True)
        return Response(BaseEnvironmentSerializer(environments, many=True).data)


class PublicationListView(APIView):
    @extend_schema(responses=PublicationSerializer(many=True))
    def get(self, request, namespace: str, slug: str):
        """A module's versions, newest first; published ones stay listed and pullable."""
        module = get_module(request, namespace, slug)
        services.reap_stale_publications(module.publications)
        publications = module.publications.select_related(
            "base_environment", "published_by", "module__owner"
        )
        return Response(PublicationSerializer(publications, many=True).data)

    @extend_schema(request=StartPublicationSerializer, responses={202: PublicationSerializer})
    def post(self, request, namespace: str, slug: str):
        module = get_module(request, namespace, slug, need="write")
        serializer = StartPublicationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            publication = services.start_publication(
                module,
                request.user,
                services.PublishRequest(
                    **serializer.validated_data,
                    hub_url=request.build_absolute_uri("/").rstrip("/"),
                ),
            )
        except services.PublishError as error:
            raise exceptions.ValidationError({"detail": str(error)}) from None
        return Response(PublicationSerializer(publication).data, status=status.HTTP_202_ACCEPTED)


class PublicationDetailView(APIView):
    @extend_schema(responses=PublicationSerializer)
    def get(self, request, namespace: str, slug: str, version: int):
        return Response(
            PublicationSerializer(get_publication(request, namespace, slug, version)).data
        )


LOG_PAGE_LINES = 5000


def log_lines_after(request, job):
    """A job's log lines after ``?offset=N`` (the last line number a client has), a page at
    a time; a publication's or a run's alike."""
    offset = request.query_params.get("offset", "0")
    if not offset.isdigit():
        raise exceptions.ValidationError({"offset": "offset must be a whole number."})
    return job.lines.filter(number__gt=int(offset))[:LOG_PAGE_LINES]


class PublicationLogView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("offset", int, description="Return lines after this one")],
        responses=LogLineSerializer(many=True),
    )
    def get(self, request, namespace: str, slug: str, version: int):
        publication = get_publication(request, namespace, slug, version)
        return Response(LogLineSerializer(log_lines_after(request, publication), many=True).data)


class PublicationCancelView(APIView):
    @extend_schema(request=None, responses={202: PublicationSerializer})
    def post(self, request, namespace: str, slug: str, version: int):
        publication = get_publication(request, namespace, slug, version, need="write")
        if publication.is_final:
            raise exceptions.ValidationError(
                {"detail": f"Version {version} already ended ({publication.status})."}
            )
        publication = services.cancel_publication(publication)
        return Response(PublicationSerializer(publication).data, status=status.HTTP_202_ACCEPTED)
