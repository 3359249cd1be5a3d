"""REST endpoints for runs: start (202), list, status, log, metric history, artifacts, cancel."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.internal import InternalToken
from modules.api import get_module
from publishing.api import log_lines_after
from publishing.models import Publication

from . import metrics, services
from .access import readable_page, readable_run
from .models import Run
from .serializers import (
    ArtifactSerializer,
    MetricSerializer,
    MetricSummarySerializer,
    RunAgainSerializer,
    RunLogLineSerializer,
    RunSerializer,
    StartRunSerializer,
)


def _split(full_name: str, field: str) -> tuple[str, str]:
    namespace, _, slug = full_name.strip("/").partition("/")
    if not namespace or not slug:
        raise exceptions.ValidationError({field: "Use namespace/slug."})
    return namespace, slug


class MetricPagination(PageNumberPagination):
    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000


class RunListView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("dataset", str, description="Runs on this dataset (namespace/slug)"),
            OpenApiParameter("module", str, description="Runs of this module (namespace/slug)"),
        ],
        responses=RunSerializer(many=True),
    )
    def get(self, request):
        """Runs the user may read, newest first (paginated)."""
        runs = Run.objects.select_related(
            "module__owner", "dataset__owner", "publication", "created_by"
        )
        for field, relation in (("dataset", "dataset"), ("module", "module")):
            if request.query_params.get(field):
                namespace, slug = _split(request.query_params[field], field)
                runs = runs.filter(**{relation: get_module(request, namespace, slug)})
        return readable_page(request, self, runs, RunSerializer, scanned=1000)

    @extend_schema(request=StartRunSerializer, responses={202: RunSerializer})
    def post(self, request):
        """Validate and queue an experiment (or serve it from the step cache)."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        serializer = StartRunSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dataset = get_module(request, *_split(data["dataset"], "dataset"))
        module = get_module(request, *_split(data["module"], "module"))
        publication = Publication.objects.filter(module=module, version=data["version"]).first()
        if publication is None:
            raise exceptions.ValidationError(
                {"version": f"{module.full_name} has no version {data['version']}."}
            )
        request_ = services.StartRequest(
            dataset=dataset,
            publication=publication,
            ref=data["ref"],
            input_paths=data["input_paths"],
            parameters=data["parameters"],
            cpu_limit=data["cpu_limit"],
            memory_limit_mb=data["memory_limit_mb"],
            time_limit_seconds=data["time_limit_seconds"],
            use_cache=data["use_cache"],
        )
        try:
            run = services.start_run(request.user, request_)
        except services.RunError as error:
            raise exceptions.ValidationError({"detail": str(error)}) from None
        return Response(RunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailView(APIView):
    @extend_schema(responses=RunSerializer)
    def get(self, request, run_id: int):
        return Response(RunSerializer(readable_run(request.user, run_id)).data)


class RunLogView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("offset", int, description="Return lines after this one")],
        responses=RunLogLineSerializer(many=True),
    )
    def get(self, request, run_id: int):
        run = readable_run(request.user, run_id)
        return Response(RunLogLineSerializer(log_lines_after(request, run), many=True).data)


class RunMetricListView(APIView):
    @extend_schema(responses=MetricSummarySerializer(many=True))
    def get(self, request, run_id: int):
        """Each metric key with its final and best value and number of steps."""
        run = readable_run(request.user, run_id)
        rows = [{"key": key, **entry} for key, entry in metrics.summary(run).items()]
        return Response(MetricSummarySerializer(rows, many=True).data)


class RunMetricHistoryView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("key", str, required=True, description="The metric's key"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int, description="At most 5000"),
        ],
        responses=MetricSerializer(many=True),
    )
    def get(self, request, run_id: int):
        """Every value of one metric by step (as MLflow's metrics/get-history), paged."""
        run = readable_run(request.user, run_id)
        key = request.query_params.get("key", "")
        if not key:
            raise exceptions.ValidationError({"key": "Name the metric: ?key=loss"})
        paginator = MetricPagination()
        page = paginator.paginate_queryset(
            run.metrics.filter(key=key).order_by("step"), request, view=self
        )
        return paginator.get_paginated_response(MetricSerializer(page, many=True).data)


class RunArtifactListView(APIView):
    @extend_schema(responses=ArtifactSerializer(many=True))
    def get(self, request, run_id: int):
        run = readable_run(request.user, run_id)
        return Response(ArtifactSerializer(run.artifacts.all(), many=True).data)


def artifact_response(run: Run, path: str) -> FileResponse:
    """Stream one artifact from the store as a download."""
    artifact = get_object_or_404(run.artifacts, path=path)
    store = services.artifact_store()
    if not store.exists(artifact.digest):
        raise Http404("The artifact's content is missing from the store.")
    response = FileResponse(
        store.open(artifact.digest), as_attachment=True, filename=path.rsplit("/", 1)[-1]
    )
    response["Content-Length"] = str(artifact.size)
    response["X-Content-Type-Options"] = "nosniff"
    return response


class RunArtifactView(APIView):
    """GET downloads an artifact; PUT is how a run worker uploads one (internal credential)."""

    accepts_internal_tokens = True

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, run_id: int, path: str):
        if isinstance(request.auth, InternalToken) and not request.auth.allows(f"run:{run_id}"):
            raise exceptions.PermissionDenied("This credential is not for this run.")
        return artifact_response(readable_run(request.user, run_id), path)

    @extend_schema(
        request={"application/octet-stream": OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("digest", str, description="sha256:<hex> of the body")],
        responses={201: ArtifactSerializer},
    )
    def put(self, request, run_id: int, path: str):
        token = request.auth
        if not isinstance(token, InternalToken) or not token.allows(f"run:{run_id}"):
            raise exceptions.PermissionDenied("Only the run's worker uploads its artifacts.")
        run = get_object_or_404(Run, pk=run_id)
        length = request.META.get("CONTENT_LENGTH") or ""
        if not length.isdigit():
            raise exceptions.ValidationError({"detail": "Send the file with a Content-Length."})
        try:
            artifact = services.store_artifact(
                run, path, request.stream, int(length), request.query_params.get("digest")
            )
        except services.ArtifactRefused as error:
            return Response({"detail": str(error)}, status=error.status)
        return Response(ArtifactSerializer(artifact).data, status=status.HTTP_201_CREATED)


class RunCancelView(APIView):
    @extend_schema(request=None, responses={202: RunSerializer})
    def post(self, request, run_id: int):
        run = readable_run(request.user, run_id)
        if not run.can_cancel(request.user):
            raise exceptions.PermissionDenied(
                "Only its author or the dataset's writers cancel a run."
            )
        if run.is_final:
            raise exceptions.ValidationError(
                {"detail": f"Run {run.pk} already ended ({run.status})."}
            )
        return Response(
            RunSerializer(services.cancel_run(run)).data, status=status.HTTP_202_ACCEPTED
        )


class RunAgainView(APIView):
    @extend_schema(request=RunAgainSerializer, responses={202: RunSerializer})
    def post(self, request, run_id: int):
        """Start an identical run: same image digest, parameters and dataset commit."""
        run = readable_run(request.user, run_id)
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        serializer = RunAgainSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            again = services.run_again(request.user, run, serializer.validated_data["use_cache"])
        except services.RunError as error:
            raise exceptions.ValidationError({"detail": str(error)}) from None
        return Response(RunSerializer(again).data, status=status.HTTP_202_ACCEPTED)
