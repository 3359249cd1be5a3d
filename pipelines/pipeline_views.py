"""Data pipeline and visualization pages: the dataset's Pipelines tab (saved pipelines, runs
with their branches, visualizations), the editor, a run's page with its steps and outputs.

Visualization outputs are shown on the hub: images inline, HTML pages in a sandboxed iframe
served with a Content-Security-Policy of their own (``sandbox allow-scripts`` without
``allow-same-origin``, ``connect-src 'none'``), so a script in them runs in an opaque origin:
it cannot read the hub's cookies nor call its API.
"""

from __future__ import annotations

import json
import mimetypes

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from modules.models import Kind, Module
from modules.repository import RepositoryError
from modules.views import module_context, module_view
from publishing.models import Publication
from publishing.models import Status as PublicationStatus

from . import forms, services
from .access import readable_pipeline_run
from .models import PipelineKind, PipelineRun
from .services import definitions

IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
HTML_TYPES = {"text/html"}
SAVED_PIPELINE_FOLDERS = frozenset({".mlreef", ".mlreef/pipelines"})
# What an HTML output may do: run its own inline code, draw, style; nothing else. ``sandbox``
# without allow-same-origin gives it an opaque origin even when opened on its own.
OUTPUT_HTML_POLICY = (
    "sandbox allow-scripts; default-src 'none'; script-src 'unsafe-inline'; "
    "style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'self'"
)


def _paths(dataset: Module, ref: str) -> list[str]:
    """Input path choices without the folder of saved pipelines; none when ``ref`` is bad."""
    try:
        return forms.path_choices(dataset, ref, hidden=SAVED_PIPELINE_FOLDERS)
    except RepositoryError:
        return []


# -- the dataset's Pipelines tab ---------------------------------------------------------------
@module_view()
def dataset_pipelines(request: HttpRequest, module: Module) -> HttpResponse:
    """Saved pipelines (run one with a button), pipeline runs with their branches, and the
    dataset's visualizations."""
    if not module.is_dataset:
        raise Http404("Pipelines run on datasets.")
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect("login")
        try:
            pipeline_run = definitions.run_saved(request.user, module, request.POST.get("name", ""))
        except services.RunError as error:
            messages.error(request, str(error))
            return redirect("dataset-pipelines", module.namespace, module.slug)
        return redirect(pipeline_run)
    runs = list(
        PipelineRun.objects.filter(dataset=module)
        .select_related("created_by")
        .prefetch_related("steps__module__owner")
        .order_by("-pk")[:200]
    )
    readable = [run for run in runs if run.can_read(request.user)]
    return render(
        request,
        "pipelines/pipelines.html",
        {
            **module_context(request, module),
            "saved": definitions.list_saved(module),
            "pipeline_runs": [r for r in readable if r.kind == PipelineKind.DATA_PIPELINE],
            "visualizations": [r for r in readable if r.kind == PipelineKind.VISUALIZATION],
        },
    )


@module_view()
@login_required
def pipeline_editor(request: HttpRequest, module: Module) -> HttpResponse:
    """The editor: the page is static; pipeline-editor.js talks to the REST API."""
    if not module.is_dataset:
        raise Http404("Pipelines run on datasets.")
    document = {"name": "", "ref": module.default_branch, "inputs": [], "steps": []}
    name = request.GET.get("name", "")
    if name:
        try:
            document = definitions.load_saved(module, name).as_document()
        except services.RunError as error:
            raise Http404(str(error)) from None
    return render(
        request,
        "pipelines/editor.html",
        {
            **module_context(request, module),
            "document_json": json.dumps(document),
            "saved_name": name,
            "paths": _paths(module, document.get("ref") or module.default_branch),
        },
    )


@module_view()
@login_required
def visualization_new(request: HttpRequest, module: Module) -> HttpResponse:
    """A published Data Visualization version, a ref, input paths and its parameters."""
    if not module.is_dataset:
        raise Http404("Visualizations run on datasets.")
    source = request.POST if request.method == "POST" else request.GET
    versions = (
        Publication.objects.filter(
            status=PublicationStatus.PUBLISHED,
            module__in=Module.objects.visible_to(request.user).filter(kind=Kind.DATA_VISUALIZATION),
        )
        .select_related("module__owner")
        .order_by("module__slug", "-version")
    )
    publication = None
    if source.get("version", "").isdigit():
        publication = versions.filter(pk=int(source["version"])).first()
    ref = source.get("ref", "").strip() or module.default_branch
    errors: list[str] = []
    submitted: dict = {}
    if request.method == "POST" and publication is not None:
        submitted = forms.form_values(request, publication.parameters)
        try:
            pipeline_run = services.start_pipeline(
                request.user,
                services.PipelineRequest(
                    dataset=module,
                    steps=[
                        services.StepRequest(
                            publication.module.full_name, publication.version, submitted
                        )
                    ],
                    ref=ref,
                    input_paths=request.POST.getlist("input_path"),
                    kind=PipelineKind.VISUALIZATION,
                    use_cache="use_cache" in request.POST,
                ),
            )
        except services.RunError as error:
            errors.append(str(error))
        else:
            return redirect(pipeline_run)
    elif request.method == "POST":
        errors.append("Choose a published Data Visualization version.")
    return render(
        request,
        "pipelines/visualization_new.html",
        {
            **module_context(request, module),
            "versions": versions[:100],
            "publication": publication,
            "ref_value": ref,
            "paths": _paths(module, ref),
            "selected_paths": set(source.getlist("input_path")),
            "fields": forms.field_rows(publication.parameters, submitted) if publication else [],
            "errors": errors,
        },
        status=400 if errors else 200,
    )


# -- a pipeline run ----------------------------------------------------------------------------
def _kind_of(artifact) -> str:
    content_type, _ = mimetypes.guess_type(artifact.path)
    if content_type in IMAGE_TYPES:
        return "image"
    if content_type in HTML_TYPES:
        return "html"
    return "file"


def pipeline_run_detail(request: HttpRequest, pipeline_run_id: int) -> HttpResponse:
    pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
    steps = list(pipeline_run.steps.select_related("module__owner", "publication").order_by("step"))
    last = steps[-1] if steps else None
    outputs = []
    if last is not None and pipeline_run.is_visualization:
        outputs = [{"artifact": a, "kind": _kind_of(a)} for a in last.artifacts.all()]
    return render(
        request,
        "pipelines/pipeline_run.html",
        {
            "pipeline_run": pipeline_run,
            "module": pipeline_run.dataset,
            "steps": steps,
            "last": last,
            "outputs": outputs,
            "can_cancel": pipeline_run.can_cancel(request.user) and not pipeline_run.is_final,
        },
    )


@require_POST
def pipeline_run_cancel(request: HttpRequest, pipeline_run_id: int) -> HttpResponse:
    pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
    if not pipeline_run.can_cancel(request.user):
        raise Http404("Pipeline run not found.")
    services.cancel_pipeline(pipeline_run)
    return redirect(pipeline_run)


@xframe_options_sameorigin
def pipeline_output(request: HttpRequest, pipeline_run_id: int, run_id: int, path: str):
    """One output file of a step: images and HTML inline (HTML sandboxed), others as downloads."""
    pipeline_run = readable_pipeline_run(request.user, pipeline_run_id)
    step = get_object_or_404(pipeline_run.steps, pk=run_id)
    artifact = get_object_or_404(step.artifacts, path=path)
    store = services.artifact_store()
    if not store.exists(artifact.digest):
        raise Http404("The output's content is missing from the store.")
    kind = _kind_of(artifact)
    content_type, _ = mimetypes.guess_type(artifact.path)
    response = FileResponse(
        store.open(artifact.digest),
        as_attachment=kind == "file",
        filename=path.rsplit("/", 1)[-1],
        content_type=content_type if kind != "file" else "application/octet-stream",
    )
    response["Content-Length"] = str(artifact.size)
    response["X-Content-Type-Options"] = "nosniff"
    if kind == "html":
        response["Content-Security-Policy"] = OUTPUT_HTML_POLICY
    response["Cache-Control"] = "private, no-cache"
    return response
