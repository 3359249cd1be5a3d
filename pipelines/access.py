"""The runs and pipeline runs a request may read, for pages and the API alike.

One is reaped first, so a run whose worker died reads as failed (with the reason) rather than
running forever; one the user may not read is a 404, as if it did not exist. A list shows the
newest the user may read, a page at a time.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from . import services
from .models import PipelineRun, Run


def readable_run(user, run_id: int) -> Run:
    """A run ``user`` may read (both its dataset and its module), else 404."""
    services.reap_stale_runs(Run.objects.filter(pk=run_id))
    run = (
        Run.objects.select_related(
            "module__owner", "dataset__owner", "publication", "created_by", "cached_from"
        )
        .filter(pk=run_id)
        .first()
    )
    if run is None or not run.can_read(user):
        raise Http404("Run not found.")
    return run


def readable_pipeline_run(user, pipeline_run_id: int) -> PipelineRun:
    """A pipeline run ``user`` may read (its dataset and every step's module), else 404."""
    services.reap_stale_pipelines(PipelineRun.objects.filter(pk=pipeline_run_id))
    pipeline_run = (
        PipelineRun.objects.select_related("dataset__owner", "created_by")
        .filter(pk=pipeline_run_id)
        .first()
    )
    if pipeline_run is None or not pipeline_run.can_read(user):
        raise Http404("Pipeline run not found.")
    return pipeline_run


def readable_page(request, view, rows, serializer_class, scanned: int) -> Response:
    """One page of the rows among the newest ``scanned`` that the user may read (reading
    rights span several modules, so they are checked row by row, not in the query)."""
    readable = [row for row in rows[:scanned] if row.can_read(request.user)]
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(readable, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)
