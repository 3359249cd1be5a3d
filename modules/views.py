"""Web pages for the AI library and the module pages. Workflows live in services.py."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from . import services
from .file_templates import TEMPLATES
from .forms import CollaboratorForm, ModuleForm, ModuleSettingsForm, NewFileForm, UploadForm
from .models import Kind, Module
from .rendering import (
    MARKDOWN_SUFFIXES,
    MAX_RENDERED_BYTES,
    README_NAMES,
    blob_response,
    highlight_source,
    is_binary,
    render_markdown,
)
from .repository import RepositoryError


def _resolve(request: HttpRequest, namespace: str, slug: str, need: str) -> Module | HttpResponse:
    """The module, a redirect (renamed module, or log in first), or 404/403 raised."""
    lookup = services.find_module(namespace, slug)
    module = lookup.module
    if module is None or not module.can_read(request.user):
        raise Http404("Module not found.")
    if lookup.redirected:
        target = request.get_full_path().replace(
            f"/{namespace}/{slug}/", f"/{module.namespace}/{module.slug}/", 1
        )
        return redirect(target, permanent=True)
    allowed = {"read": module.can_read, "write": module.can_write, "admin": module.can_admin}
    if not allowed[need](request.user):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(f"You need {need} access to {module.full_name}.")
    return module


def module_view(need: str = "read"):
    """Resolve /<namespace>/<slug>/ to a module the user may see, or 404/403/redirect."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, namespace, slug, *args, **kwargs):
            resolved = _resolve(request, namespace, slug, need)
            if isinstance(resolved, HttpResponse):
                return resolved
            return view(request, resolved, *args, **kwargs)

        return wrapped

    return decorator


def module_context(request: HttpRequest, module: Module, ref: str | None = None) -> dict:
    repository = module.repository
    branches = repository.branch_names()
    ref = ref or request.GET.get("ref") or module.default_branch
    public_url = settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")
    return {
        "module": module,
        "repository": repository,
        "branches": branches,
        "ref": ref,
        "empty": not branches,
        "clone_url": f"{public_url}{module.clone_path()}",
        "can_write": module.can_write(request.user),
        "can_admin": module.can_admin(request.user),
    }


@login_required
def module_create(request: HttpRequest) -> HttpResponse:
    initial = {"kind": request.GET["kind"]} if request.GET.get("kind") in Kind.values else {}
    form = ModuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            module = services.create_module(request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Created {module.full_name}.")
            return redirect(module)
    return render(request, "modules/create.html", {"form": form})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@module_view()
def module_detail(request: HttpRequest, module: Module) -> HttpResponse:
    context = module_context(request, module)
    path = request.GET.get("path", "").strip("/")
    context["path"] = path
    if not context["empty"]:
        try:
            repository = context["repository"]
            context["commit"] = repository.commit_info(context["ref"])
            context["entries"] = repository.tree(context["ref"], path)
        except RepositoryError as error:
            raise Http404(str(error)) from None
        readme = next((e for e in context["entries"] if e.name.lower() in README_NAMES), None)
        if readme and readme.type == "blob" and (readme.size or 0) <= MAX_RENDERED_BYTES:
            text = repository.read_file(context["ref"], readme.path).decode("utf-8", "replace")
            context["readme_html"] = render_markdown(text)
        context["breadcrumbs"] = _breadcrumbs(path)
    return render(request, "modules/detail.html", context)


def _breadcrumbs(path: str) -> list[tuple[str, str]]:
    parts = path.split("/") if path else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


@module_view()
def blob(request: HttpRequest, module: Module) -> HttpResponse:
    context = module_context(request, module)
    path = request.GET.get("path", "")
    try:
        size = context["repository"].file_size(context["ref"], path)
        data = b""
        if size <= MAX_RENDERED_BYTES:
            data = context["repository"].read_file(context["ref"], path)
    except RepositoryError as error:
        raise Http404(str(error)) from None
    context.update(path=path, size=size, breadcrumbs=_breadcrumbs(path))
    if size > MAX_RENDERED_BYTES:
        context["notice"] = "This file is too large to show here; download it raw."
    elif is_binary(data):
        context["notice"] = "This is a binary file; download it raw."
    else:
        context["source_html"] = highlight_source(path, data)
        if path.lower().endswith(MARKDOWN_SUFFIXES):
            context["markdown"] = True
            if request.GET.get("view") != "source":
                context["markdown_html"] = render_markdown(data.decode("utf-8", "replace"))
    return render(request, "modules/blob.html", context)


@module_view()
def raw(request: HttpRequest, module: Module) -> HttpResponse:
    ref = request.GET.get("ref") or module.default_branch
    path = request.GET.get("path", "")
    try:
        return blob_response(module.repository.open_blob(ref, path))
    except RepositoryError as error:
        raise Http404(str(error)) from None


@module_view()
def commits(request: HttpRequest, module: Module) -> HttpResponse:
    context = module_context(request, module)
    per_page = 30
    page_param = request.GET.get("page", "1")
    page_number = int(page_param) if page_param.isdigit() and int(page_param) > 0 else 1
    if not context["empty"]:
        try:
            items = context["repository"].commits(
                context["ref"], limit=per_page + 1, skip=(page_number - 1) * per_page
            )
        except RepositoryError as error:
            raise Http404(str(error)) from None
        context["commits"] = items[:per_page]
        context["has_next"] = len(items) > per_page
    context["page_number"] = page_number
    return render(request, "modules/commits.html", context)


@module_view(need="write")
def upload(request: HttpRequest, module: Module) -> HttpResponse:
    context = module_context(request, module)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"branch": context["ref"], "message": "Upload files"},
    )
    if request.method == "POST" and form.is_valid():
        directory = form.cleaned_data["directory"].rstrip("/")
        total = sum(f.size for f in form.cleaned_data["files"])
        if total > settings.MAX_UPLOAD_SIZE:
            # Checked before reading: uploads wait in temporary files, not in memory.
            form.add_error(
                None, f"The upload is {total} bytes; the limit is {settings.MAX_UPLOAD_SIZE} bytes."
            )
            return _render_upload(request, context, form)
        files = {
            (f"{directory}/{f.name}" if directory else f.name): f.read()
            for f in form.cleaned_data["files"]
        }
        branch = form.cleaned_data["branch"]
        try:
            services.commit_files(module, request.user, branch, files, form.cleaned_data["message"])
        except RepositoryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Committed {len(files)} file(s) to {branch}.")
            url = reverse("module-detail", args=[module.namespace, module.slug])
            return redirect(f"{url}?ref={branch}&path={directory}")
    return _render_upload(request, context, form)


def _render_upload(request: HttpRequest, context: dict, form: UploadForm) -> HttpResponse:
    context["form"] = form
    context["max_upload_size"] = settings.MAX_UPLOAD_SIZE
    return render(request, "modules/upload.html", context, status=400 if form.errors else 200)


@module_view(need="write")
def new_file(request: HttpRequest, module: Module) -> HttpResponse:
    context = module_context(request, module)
    template = TEMPLATES.get(request.GET.get("template", ""))
    initial = {"branch": context["ref"], "message": "Add file"}
    if template:
        initial.update(
            path=template.path, content=template.render(), message=f"Add {template.path}"
        )
    form = NewFileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.commit_files(
                module,
                request.user,
                data["branch"],
                {data["path"]: data["content"].replace("\r\n", "\n").encode()},
                data["message"],
            )
        except RepositoryError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"Committed {data['path']} to {data['branch']}.")
            url = reverse("module-blob", args=[module.namespace, module.slug])
            return redirect(f"{url}?ref={data['branch']}&path={data['path'].strip('/')}")
    context["form"] = form
    context["templates"] = TEMPLATES.values()
    return render(request, "modules/new_file.html", context, status=400 if form.errors else 200)


@module_view(need="admin")
@require_http_methods(["GET", "POST"])
def module_settings(request: HttpRequest, module: Module) -> HttpResponse:
    action = request.POST.get("action", "")
    form = ModuleSettingsForm.for_module(module, request.POST if action == "update" else None)
    collaborator_form = CollaboratorForm(request.POST if action == "add-collaborator" else None)
    if action == "update" and form.is_valid():
        try:
            services.update_module(module, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("module-settings", module.namespace, module.slug)
    elif action == "add-collaborator" and collaborator_form.is_valid():
        try:
            services.set_collaborator(module, **collaborator_form.cleaned_data)
        except ValidationError as error:
            _add_errors(collaborator_form, error)
        else:
            messages.success(request, "Collaborator saved.")
            return redirect("module-settings", module.namespace, module.slug)
    elif action == "remove-collaborator":
        services.remove_collaborator(module, request.POST.get("username", ""))
        messages.success(request, "Collaborator removed.")
        return redirect("module-settings", module.namespace, module.slug)
    elif action == "delete":
        if request.POST.get("confirm") != module.slug:
            messages.error(request, f"Type '{module.slug}' to confirm deletion.")
        else:
            services.delete_module(module)
            messages.success(request, f"Deleted {module.full_name}.")
            return redirect("library")
    status = 400 if (form.errors or collaborator_form.errors) else 200
    return render(
        request,
        "modules/settings.html",
        {
            **module_context(request, module),
            "form": form,
            "collaborator_form": collaborator_form,
            "collaborators": module.collaborators.select_related("user"),
        },
        status=status,
    )
