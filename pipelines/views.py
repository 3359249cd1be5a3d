"""Experiment pages: start form, run page (live log and charts), lists, compare, downloads."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mlreef.streams.links import redirect_to_stream
from modules.models import Kind, Module
from modules.repository import RepositoryError
from modules.services import find_module
from modules.views import module_context, module_view
from publishing.models import Publication
from publishing.models import Status as PublicationStatus

from . import forms, metrics, services
from .access import readable_run
from .api import artifact_response
from .models import Run

MAX_COMPARED = 10


def _readable(request: HttpRequest, full_name: str, kind: str | None = None) -> Module | None:
    namespace, _, slug = (full_name or "").strip("/").partition("/")
    if not namespace or not slug:
        return None
    module = find_module(namespace, slug).module
    if module is None or not module.can_read(request.user):
        return None
    if kind and module.kind != kind:
        return None
    return module


# -- starting ---------------------------------------------------------------------------------
@login_required
def run_new(request: HttpRequest) -> HttpResponse:
    """Dataset, ref and input paths; a published Model version (search); its parameter form."""
    source = request.POST if request.method == "POST" else request.GET
    datasets = Module.objects.visible_to(request.user).filter(kind=Kind.DATASET)
    dataset = _readable(request, source.get("dataset", ""), Kind.DATASET)
    ref = source.get("ref", "").strip() or (dataset.default_branch if dataset else "")
    query = source.get("q", "").strip()
    versions = Publication.objects.filter(
        status=PublicationStatus.PUBLISHED,
        module__in=Module.objects.visible_to(request.user).filter(kind=Kind.MODEL),
    ).select_related("module__owner")
    if query:
        versions = versions.filter(
            Q(module__name__icontains=query)
            | Q(module__slug__icontains=query)
            | Q(module__description__icontains=query)
        )
    publication = None
    chosen = source.get("version", "")
    if chosen.isdigit():
        publication = versions.filter(pk=int(chosen)).first()
    errors: list[str] = []
    paths: list[str] = []
    if dataset is not None:
        try:
            paths = forms.path_choices(dataset, ref)
        except RepositoryError as error:
            errors.append(f"{dataset.full_name} at '{ref}': {error}")
    submitted = {}
    if request.method == "POST" and publication is not None and dataset is not None:
        submitted = forms.form_values(request, publication.parameters)
        try:
            run = services.start_run(
                request.user,
                services.StartRequest(
                    dataset=dataset,
                    publication=publication,
                    ref=ref,
                    input_paths=request.POST.getlist("input_path"),
                    parameters=submitted,
                    cpu_limit=request.POST.get("cpu_limit") or None,
                    memory_limit_mb=request.POST.get("memory_limit_mb") or None,
                    time_limit_seconds=request.POST.get("time_limit_seconds") or None,
                    use_cache="use_cache" in request.POST,
                ),
            )
        except services.RunError as error:
            errors.append(str(error))
        else:
            return redirect(run)
    elif request.method == "POST":
        errors.append("Choose a dataset and a published Model version.")
    context = {
        "datasets": datasets,
        "dataset": dataset,
        "ref": ref,
        "branches": dataset.repository.branch_names() if dataset else [],
        "paths": paths,
        "selected_paths": set(source.getlist("input_path")),
        "query": query,
        "versions": versions.order_by("module__slug", "-version")[:50],
        "publication": publication,
        "fields": forms.field_rows(publication.parameters, submitted) if publication else [],
        "errors": errors,
        "limits": services.default_limits(),
    }
    return render(request, "pipelines/new.html", context, status=400 if errors else 200)


# -- a run ------------------------------------------------------------------------------------
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = readable_run(request.user, run_id)
    summary = metrics.summary(run)
    return render(
        request,
        "pipelines/detail.html",
        {
            "run": run,
            "lines": run.lines.all()[:20000] if run.is_final else [],
            "artifacts": run.artifacts.all(),
            "summary": summary,
            "can_cancel": run.can_cancel(request.user) and not run.is_final,
        },
    )


def run_events(request: HttpRequest, run_id: int) -> HttpResponse:
    """Server-Sent Events of the log (id = line number, status, then 'end'), served by the
    stream server: this view checks access and answers 307 to a signed link."""
    return redirect_to_stream(request, "run", readable_run(request.user, run_id).pk)


def run_metric_events(request: HttpRequest, run_id: int) -> HttpResponse:
    """Server-Sent Events of the metric points (each a 'line' event, id = its row)."""
    return redirect_to_stream(request, "run-metrics", readable_run(request.user, run_id).pk)


@require_POST
def run_cancel(request: HttpRequest, run_id: int) -> HttpResponse:
    run = readable_run(request.user, run_id)
    if not run.can_cancel(request.user):
        raise Http404("Run not found.")
    services.cancel_run(run)
    messages.info(request, f"Cancelling run {run.pk}.")
    return redirect(run)


@login_required
@require_POST
def run_again(request: HttpRequest, run_id: int) -> HttpResponse:
    run = readable_run(request.user, run_id)
    try:
        again = services.run_again(request.user, run, use_cache="use_cache" in request.POST)
    except services.RunError as error:
        messages.error(request, str(error))
        return redirect(run)
    return redirect(again)


def run_artifact(request: HttpRequest, run_id: int, path: str) -> HttpResponse:
    return artifact_response(readable_run(request.user, run_id), path)


# -- lists and comparison ---------------------------------------------------------------------
@module_view()
def module_runs(request: HttpRequest, module: Module) -> HttpResponse:
    """The experiments of a dataset (runs on it) or of a module (runs of it)."""
    services.reap_stale_runs(Run.objects.filter(Q(module=module) | Q(dataset=module)))
    runs = (
        Run.objects.filter(Q(module=module) | Q(dataset=module), pipeline_run__isnull=True)
        .select_related("module__owner", "dataset__owner", "publication", "created_by")
        .order_by("-pk")[:200]
    )
    return render(
        request,
        "pipelines/list.html",
        {
            **module_context(request, module),
            "runs": [run for run in runs if run.can_read(request.user)],
        },
    )


def compare(request: HttpRequest) -> HttpResponse:
    ids = [int(i) for i in request.GET.getlist("run") if i.isdigit()][:MAX_COMPARED]
    runs = [
        run
        for run in Run.objects.filter(pk__in=ids).select_related(
            "module__owner", "dataset__owner", "publication"
        )
        if run.can_read(request.user)
    ]
    if not runs:
        raise Http404("Select runs you may read.")
    summaries = {run.pk: metrics.summary(run) for run in runs}
    keys = sorted({key for summary in summaries.values() for key in summary})
    names = sorted({name for run in runs for name in run.parameters})
    table = [
        {
            "run": run,
            "parameters": [run.parameters.get(name) for name in names],
            "metrics": [summaries[run.pk].get(key, {}) for key in keys],
        }
        for run in runs
    ]
    series = {
        key: {
            str(run.pk): list(
                run.metrics.filter(key=key).order_by("step").values_list("step", "value")
            )
            for run in runs
        }
        for key in keys
    }
    return render(
        request,
        "pipelines/compare.html",
        {
            "runs": runs,
            "names": names,
            "keys": keys,
            "table": table,
            "chart_json": json.dumps(
                {"keys": keys, "runs": [str(r.pk) for r in runs], "series": series}
            ),
        },
    )
