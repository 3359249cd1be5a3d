"""Web pages for the AI library and the module pages. Workflows live in services.py."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from . import content as file_content
from . import previews, services
from .diffs import commit_diff
from .file_templates import TEMPLATES
from .forms import CollaboratorForm, ModuleForm, ModuleSettingsForm, NewFileForm, UploadForm
from .models import Kind, Module
from .rendering import (
    MARKDOWN_SUFFIXES,
    MAX_RENDERED_BYTES,
    README_NAMES,
    highlight_source,
    is_binary,
    render_markdown,
)
from .repository import RepositoryError
from .uploads import LimitedUploadHandler, browser_upload_limit

MAX_THUMBNAILS = 200


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


def public_base_url(request: HttpRequest) -> str:
    """PUBLIC_URL, or the address this request reached the hub at."""
    return settings.PUBLIC_URL or request.build_absolute_uri("/").rstrip("/")


def module_context(request: HttpRequest, module: Module, ref: str | None = None) -> dict:
    repository = module.repository
    branches = repository.branch_names()
    ref = ref or request.GET.get("ref") or module.head_branch
    public_url = public_base_url(request)
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
    return render(
        request, "modules/create.html", {"form": form, "base_url": public_base_url(request)}
    )


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
        if (
            readme
            and readme.type == "blob"
            and not readme.lfs
            and (readme.size or 0) <= MAX_RENDERED_BYTES
        ):
            text = repository.read_file(context["ref"], readme.path).decode("utf-8", "replace")
            context["readme_html"] = render_markdown(text)
        context["breadcrumbs"] = _breadcrumbs(path)
        context["images"] = [
            e for e in context["entries"] if e.type == "blob" and previews.is_image(e.name)
        ][:MAX_THUMBNAILS]
        if module.is_dataset:
            context["summary"] = repository.file_summary(context["ref"])
    return render(request, "modules/detail.html", context)


def _breadcrumbs(path: str) -> list[tuple[str, str]]:
    parts = path.split("/") if path else []
    return [(part, "/".join(parts[: i + 1])) for i, part in enumerate(parts)]


@module_view()
def blob(request: HttpRequest, module: Module) -> HttpResponse:
    context = module_context(request, module)
    path = request.GET.get("path", "")
    try:
        content = file_content.resolve(module, context["ref"], path)
    except RepositoryError as error:
        raise Http404(str(error)) from None
    context.update(path=path, size=content.size, lfs=content.lfs, breadcrumbs=_breadcrumbs(path))
    context.update(_preview(request, content))
    return render(request, "modules/blob.html", context)


def _preview(request: HttpRequest, content: file_content.FileContent) -> dict:
    """What the file view shows: a table, an image, pretty JSON/YAML, text, or a notice."""
    path = content.path
    if not content.available:
        return {"notice": "This LFS file's object was never uploaded; push it with git lfs push."}
    if previews.is_table(path):
        try:
            return {"table": previews.table(content)}
        except previews.PreviewError as error:
            return {"notice": str(error)}
    if previews.is_image(path):
        return {"image": True}
    if content.size > MAX_RENDERED_BYTES:
        return {"notice": "This file is too large to show here; download it raw."}
    data = content.head(MAX_RENDERED_BYTES)
    if is_binary(data):
        return {"notice": "This is a binary file; download it raw."}
    pretty = previews.pretty_structured(path, data)
    shown = pretty.encode() if pretty is not None else data
    context = {"source_html": highlight_source(path, shown), "pretty": pretty is not None}
    if path.lower().endswith(MARKDOWN_SUFFIXES):
        context["markdown"] = True
        if request.GET.get("view") != "source":
            context["markdown_html"] = render_markdown(data.decode("utf-8", "replace"))
    return context


@module_view()
def raw(request: HttpRequest, module: Module) -> HttpResponse:
    ref = request.GET.get("ref") or module.head_branch
    path = request.GET.get("path", "")
    try:
        content = file_content.resolve(module, ref, path)
        if not content.available:
            raise Http404("This LFS file's object was never uploaded.")
        return file_content.download(content)
    except RepositoryError as error:
        raise Http404(str(error)) from None


@module_view()
def thumbnail(request: HttpRequest, module: Module) -> HttpResponse:
    """A cached PNG thumbnail of an image file (``size`` small or large)."""
    ref = request.GET.get("ref") or module.head_branch
    size = request.GET.get("size", "small")
    if size not in previews.THUMBNAIL_SIZES:
        return HttpResponse("size must be small or large.", status=400, content_type="text/plain")
    try:
        content = file_content.resolve(module, ref, request.GET.get("path", ""))
        if not previews.is_image(content.path) or not content.available:
            raise Http404("Not an image.")
        path = previews.thumbnail(content, size)
    except RepositoryError as error:
        raise Http404(str(error)) from None
    except previews.PreviewError as error:
        return HttpResponse(str(error), status=415, content_type="text/plain")
    response = FileResponse(path.open("rb"), content_type="image/png")
    response["Cache-Control"] = "private, max-age=300"
    return response


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


@module_view()
def commit_detail(request: HttpRequest, module: Module, sha: str) -> HttpResponse:
    """One commit: its message, parents and what it changed (files, +/-, the patch)."""
    context = module_context(request, module, ref=sha)
    try:
        commit = context["repository"].commit_info(sha)
        diff = commit_diff(context["repository"], commit.sha)
    except RepositoryError as error:
        raise Http404(str(error)) from None
    context.update(commit=commit, diff=diff, body=commit.message.partition("\n")[2].strip())
    return render(request, "modules/commit.html", context)


@csrf_exempt  # CSRF is checked below, once the size-limiting handler is in place
def upload(request: HttpRequest, namespace: str, slug: str) -> HttpResponse:
    limiter = LimitedUploadHandler(browser_upload_limit(), request)
    request.upload_handlers.insert(0, limiter)
    response = _upload(request, namespace, slug, limiter=limiter)
    if limiter.exceeded:
        response["Connection"] = "close"  # the rest of the body is not read
    return response


@csrf_protect
@module_view(need="write")
def _upload(request: HttpRequest, module: Module, limiter: LimitedUploadHandler) -> HttpResponse:
    context = module_context(request, module)
    if request.method == "POST" and (request.FILES is not None) and limiter.exceeded:
        form = UploadForm(request.POST)
        form.full_clean()
        form.errors.clear()  # the files were cut off: the size is the one thing to report
        form.add_error(None, limiter.message)
        response = _render_upload(request, context, form)
        response.status_code = 413
        return response
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        initial={"branch": context["ref"], "message": "Upload files"},
    )
    if request.method == "POST" and form.is_valid():
        directory = form.cleaned_data["directory"].rstrip("/")
        # Uploads wait in temporary files (Django streams them to disk), never in memory.
        uploads = form.uploads()
        branch = form.cleaned_data["branch"]
        try:
            result = services.commit_uploads(
                module, request.user, branch, uploads, form.cleaned_data["message"]
            )
        except RepositoryError as error:
            form.add_error(None, str(error))
        else:
            stored = f" ({len(result.lfs_paths)} in Git LFS)" if result.lfs_paths else ""
            messages.success(request, f"Committed {len(uploads)} file(s){stored} to {branch}.")
            url = reverse("module-detail", args=[module.namespace, module.slug])
            return redirect(f"{url}?ref={branch}&path={directory}")
    return _render_upload(request, context, form)


def _render_upload(request: HttpRequest, context: dict, form: UploadForm) -> HttpResponse:
    context["form"] = form
    context["max_upload_size"] = settings.MAX_UPLOAD_SIZE
    context["lfs_threshold"] = settings.LFS_UPLOAD_THRESHOLD
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
        if not data["overwrite"] and _is_file(module, data["branch"], data["path"]):
            form.ask_to_overwrite(data["path"].strip("/"), data["branch"])
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


def _is_file(module: Module, branch: str, path: str) -> bool:
    try:
        module.repository.file_size(branch, path.strip("/"))
    except RepositoryError:
        return False
    return True


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
    delete_error = ""
    if action == "delete":
        if request.POST.get("confirm") != module.slug:
            delete_error = f"Type '{module.slug}' to confirm deletion."
        else:
            services.delete_module(module)
            messages.success(request, f"Deleted {module.full_name}.")
            return redirect("library")
    status = 400 if (form.errors or collaborator_form.errors or delete_error) else 200
    return render(
        request,
        "modules/settings.html",
        {
            **module_context(request, module),
            "delete_error": delete_error,
            "form": form,
            "collaborator_form": collaborator_form,
            "collaborators": module.collaborators.select_related("user"),
        },
        status=status,
    )
