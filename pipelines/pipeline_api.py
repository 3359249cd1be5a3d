"""REST endpoints for data pipelines (saved definitions, runs, steps, outputs, cancel) and
visualizations. A step is a run: its log and artifacts are the runs endpoints."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.internal import InternalToken
from modules.api import get_module

from . import services
from .access import readable_page, readable_pipeline_run
from .api import _split
from .models import PipelineKind, PipelineRun
from .serializers import (
    ArtifactSerializer,
    PipelineDocumentSerializer,
    PipelineRunSerializer,
    PipelineStepSerializer,
    SavedPipelineSerializer,
    StartPipelineSerializer,
    StartVisualizationSerializer,
)
from .services import definitions


class YAMLParser(BaseParser):
    """The saved pipeline document as YAML, exactly as in .mlreef/pipelines/<name>.yml."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        text = stream.read(definitions.MAX_DEFINITION_SIZE + 1)
        if len(text) > definitions.MAX_DEFINITION_SIZE:
            raise exceptions.ParseError("The document is too large.")
        import yaml

        try:
            return yaml.safe_load(text) or {}
        except yaml.YAMLError as error:
            raise exceptions.ParseError(f"Not valid YAML: {error}") from None


PARSERS = [JSONParser, YAMLParser, FormParser, MultiPartParser]


def _bad(error: Exception) -> exceptions.ValidationError:
    return exceptions.ValidationError({"detail": str(error)})


def _definition(data) -> definitions.Definition:
    try:
        return definitions.parse_document(dict(data))
    except services.RunError as error:
        raise _bad(error) from None


def _saved_data(definition: definitions.Definition) -> dict:
    return {
        **definition.as_document(),
        "slug": definition.slug,
        "path": definition.path,
        "commit": definition.commit,
    }


class SavedPipelineListView(APIView):
    parser_classes = PARSERS

    @extend_schema(responses=SavedPipelineSerializer(many=True))
    def get(self, request, namespace: str, slug: str):
        """The pipelines saved in the dataset's .mlreef/pipelines/ (default branch)."""
        dataset = get_module(request, namespace, slug)
        saved = definitions.list_saved(dataset)
        return Response(SavedPipelineSerializer([_saved_data(d) for d in saved], many=True).data)

    @extend_schema(request=PipelineDocumentSerializer, responses={201: SavedPipelineSerializer})
    def post(self, request, namespace: str, slug: str):
        """Save (create or replace) a definition: committed as YAML to the default branch."""
        dataset = get_module(request, namespace, slug, need="write")
        definition = _definition(request.data)
        try:
            definitions.save(request.user, dataset, definition)
            saved = definitions.load_saved(dataset, definition.slug)
        except services.RunError as error:
            raise _bad(error) from None
        return Response(
            SavedPipelineSerializer(_saved_data(saved)).data, status=status.HTTP_201_CREATED
        )


class SavedPipelineView(APIView):
    parser_classes = PARSERS

    def _load(self, dataset, name: str) -> definitions.Definition:
        try:
            return definitions.load_saved(dataset, name)
        except services.RunError as error:
            raise Http404(str(error)) from None

    @extend_schema(responses=SavedPipelineSerializer)
    def get(self, request, namespace: str, slug: str, name: str):
        dataset = get_module(request, namespace, slug)
        return Response(SavedPipelineSerializer(_saved_data(self._load(dataset, name))).data)

    @extend_schema(request=PipelineDocumentSerializer, responses=SavedPipelineSerializer)
    def put(self, request, namespace: str, slug: str, name: str):
        """Replace the definition (its name must stay the same: the file is named after it)."""
        dataset = get_module(request, namespace, slug, need="write")
        self._load(dataset, name)
        definition = _definition(request.data)
        if definition.slug != name:
            raise exceptions.ValidationError(
                {"name": f"The name must stay '{name}' here; POST a new pipeline to rename."}
            )
        try:
            definitions.save(request.user, dataset, definition)
        except services.RunError as error:
            raise _bad(error) from None
        return Response(SavedPipelineSerializer(_saved_data(self._load(dataset, name))).data)


class SavedPipelineRunView(APIView):
    @extend_schema(
        request=None,
        parameters=[OpenApiParameter("use_cache", bool, description="Default true")],
        responses={202: PipelineRunSerializer},
    )
    def post(self, request, namespace: str, slug: str, name: str):
        """Run the saved definition as it is on the default branch now."""
        dataset = get_module(request, namespace, slug, need="write")
        use_cache = request.query_params.get("use_cache", "true").lower() not in ("0", "false")
        try:
            pipeline_run = definitions.run_saved(request.user, dataset, name, use_cache)
        except services.RunError as error:
            raise _bad(error) from None
        return Response(PipelineRunSerializer(pipeline_run).data, status=status.HTTP_202_ACCEPTED)


def _runs_list(request, view, kind: str):
    runs = PipelineRun.objects.select_related("dataset__owner", "created_by").filter(kind=kind)
    if request.query_params.get("dataset"):
        namespace, slug = _split(request.query_params["dataset"], "dataset")
        runs = runs.filter(dataset=get_module(request, namespace, slug))
    return readable_page(request, view, runs, PipelineRunSerializer, scanned=500)


class PipelineRunListView(APIView):
    parser_classes = PARSERS

    @extend_schema(
        parameters=[OpenApiParameter("dataset", str, description="namespace/slug")],
        responses=PipelineRunSerializer(many=True),
    )
    def get(self, request):
        """Data pipeline runs the user may read, newest first (paginated)."""
        return _runs_list(request, self, PipelineKind.DATA_PIPELINE)

    @extend_schema(request=StartPipelineSerializer, responses={202: PipelineRunSerializer})
    def post(self, request):
        """Run a pipeline given inline (the saved document plus ``dataset``)."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        data = dict(request.data)
        dataset_name = data.pop("dataset", "")
        use_cache = data.pop("use_cache", True)
        data.setdefault("name", "pipeline")
        dataset = get_module(request, *_split(str(dataset_name), "dataset"))
        definition = _definition(data)
        try:
            pipeline_run = services.start_pipeline(
                request.user,
                definitions.request_for(dataset, definition, use_cache=use_cache is not False),
            )
        except services.RunError as error:
            raise _bad(error) from None
        return Response(PipelineRunSerializer(pipeline_run).data, status=status.HTTP_202_ACCEPTED)


class PipelineRunDetailView(APIView):
    @extend_schema(responses=PipelineRunSerializer)
    def get(self, request, pipeline_run_id: int):
        """Status of the run and of each step (status, duration, cached, log and outputs)."""
        return Response(
            PipelineRunSerializer(readable_pipeline_run(request.user, pipeline_run_id)).data
        )


class PipelineRunStepsView(APIView):
    @extend_schema(responses=PipelineStepSerializer(many=True))
    def get(self, request, pipeline_run_id: int):
        pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
        steps = pipeline_run.steps.select_related(
            "module__owner", "dataset__owner", "publication", "created_by"
        ).order_by("step")
        return Response(PipelineStepSerializer(steps, many=True).data)


class PipelineRunLogView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("step", int, description="Only this step's lines")],
        responses={200: dict},
    )
    def get(self, request, pipeline_run_id: int):
        """Every step's log lines, by step number."""
        pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
        steps = pipeline_run.steps.order_by("step")
        if request.query_params.get("step", "").isdigit():
            steps = steps.filter(step=int(request.query_params["step"]))
        return Response(
            {
                str(step.step): list(step.lines.order_by("number").values_list("text", flat=True))
                for step in steps
            }
        )


class PipelineRunOutputsView(APIView):
    @extend_schema(responses=ArtifactSerializer(many=True))
    def get(self, request, pipeline_run_id: int):
        """The last step's output files (download each at /api/v1/runs/<step id>/artifacts/)."""
        pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
        last = pipeline_run.steps.order_by("-step").first()
        artifacts = last.artifacts.all() if last else []
        return Response(ArtifactSerializer(artifacts, many=True).data)


class PipelineRunCancelView(APIView):
    @extend_schema(request=None, responses={202: PipelineRunSerializer})
    def post(self, request, pipeline_run_id: int):
        pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
        if not pipeline_run.can_cancel(request.user):
            raise exceptions.PermissionDenied("Only its author or the dataset's writers cancel.")
        if pipeline_run.is_final:
            raise exceptions.ValidationError(
                {"detail": f"Run {pipeline_run.pk} already ended ({pipeline_run.status})."}
            )
        pipeline_run = services.cancel_pipeline(pipeline_run)
        return Response(PipelineRunSerializer(pipeline_run).data, status=status.HTTP_202_ACCEPTED)


class PipelineRunFinishView(APIView):
    """A run worker's call once every step succeeded: the hub commits the output."""

    accepts_internal_tokens = True

    @extend_schema(request=None, responses={200: PipelineRunSerializer})
    def post(self, request, pipeline_run_id: int):
        token = request.auth
        if not isinstance(token, InternalToken) or not token.allows(
            f"pipeline-run:{pipeline_run_id}"
        ):
            raise exceptions.PermissionDenied("Only the pipeline's worker finishes it.")
        pipeline_run = get_object_or_404(PipelineRun, pk=pipeline_run_id)
        try:
            pipeline_run = services.finish_if_complete(pipeline_run)
        except services.RunError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(PipelineRunSerializer(pipeline_run).data)


class VisualizationListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("dataset", str, description="namespace/slug")],
        responses=PipelineRunSerializer(many=True),
    )
    def get(self, request):
        """Visualization runs the user may read, newest first (paginated)."""
        return _runs_list(request, self, PipelineKind.VISUALIZATION)

    @extend_schema(request=StartVisualizationSerializer, responses={202: PipelineRunSerializer})
    def post(self, request):
        """Run one published Data Visualization on a dataset ref and paths."""
        if not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        serializer = StartVisualizationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dataset = get_module(request, *_split(data["dataset"], "dataset"))
        try:
            pipeline_run = services.start_pipeline(
                request.user,
                services.PipelineRequest(
                    dataset=dataset,
                    steps=[
                        services.StepRequest(data["module"], data["version"], data["parameters"])
                    ],
                    ref=data["ref"],
                    input_paths=data["inputs"],
                    kind=PipelineKind.VISUALIZATION,
                    use_cache=data["use_cache"],
                ),
            )
        except services.RunError as error:
            raise _bad(error) from None
        return Response(PipelineRunSerializer(pipeline_run).data, status=status.HTTP_202_ACCEPTED)
