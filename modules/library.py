"""The AI Library and the user pages: lists of modules a visitor may see."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import F, Max, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from .models import DataType, Kind, Module

SORTS = {
    "updated": ("Recently updated", [F("updated_at").desc()]),
    "published": (
        "Recently published",
        [F("published_at").desc(nulls_last=True), F("updated_at").desc()],
    ),
    "name": ("Name", [F("name").asc(), F("id").asc()]),
}


def with_latest_version(modules: QuerySet) -> QuerySet:
    """Annotate each module with its latest published version and when it was published.

    The publications' reverse relation is named by string: ``modules`` never imports
    ``publishing``, the higher app that owns that table."""
    published = Q(publications__status="published")
    return modules.annotate(
        latest_version=Max("publications__version", filter=published),
        published_at=Max("publications__finished_at", filter=published),
    )


def library(request: HttpRequest) -> HttpResponse:
    modules = Module.objects.visible_to(request.user).select_related("owner")
    anything_visible = modules.exists()
    query = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "")
    data_type = request.GET.get("data_type", "")
    sort = request.GET.get("sort", "updated")
    if sort not in SORTS:
        sort = "updated"
    if query:
        modules = modules.filter(
            Q(name__icontains=query) | Q(description__icontains=query) | Q(slug__icontains=query)
        )
    if kind:
        modules = modules.filter(kind=kind)
    if data_type:
        # JSON containment is not on SQLite, so match the quoted value in the stored list.
        modules = modules.filter(data_types__icontains=f'"{data_type}"')
    modules = with_latest_version(modules).order_by(*SORTS[sort][1])
    page = Paginator(modules, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "modules/library.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "data_type": data_type,
            "sort": sort,
            "sorts": [(key, label) for key, (label, _) in SORTS.items()],
            "kinds": Kind.choices,
            "data_types": DataType.choices,
            "anything_visible": anything_visible,
        },
    )


def user_page(request: HttpRequest, username: str) -> HttpResponse:
    """/<user>/: the modules of that user the visitor may see; on your own page also the
    modules others share with you."""
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise Http404(f"No user '{username}'.")
    visible = Module.objects.visible_to(request.user).select_related("owner")
    owned = with_latest_version(visible.filter(owner=user)).order_by("-updated_at")
    shared = with_latest_version(
        visible.filter(collaborators__user=user).exclude(owner=user)
    ).order_by("-updated_at")
    return render(
        request,
        "modules/user.html",
        {
            "person": user,
            "owned": owned,
            "shared": shared,
            "own_page": request.user == user,
        },
    )
