"""The publish wizard, the versions list and the live log page."""

from __future__ import annotations

from dataclasses import asdict, fields

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mlreef.streams.links import redirect_to_stream
from modules.models import Module
from modules.repository import RepositoryError
from modules.views import module_context, module_view, public_base_url

from . import services
from .config import PublishChoices
from .models import FINAL_STATUSES, BaseEnvironment, Publication, Status
from .reader import EntrypointError, convention_problem
from .usage import strip_ansi

STEPS = ["source", "parameters", "environment", "review"]
PIPELINE_STAGES = [
    (Status.QUEUED, "queued"),
    (Status.CLONING, "clone"),
    (Status.PARSING, "parse"),
    (Status.BUILDING, "build"),
    (Status.PUSHING, "push"),
    (Status.PUBLISHED, "published"),
]


def _wizard_state(request: HttpRequest, module: Module) -> dict:
    key = f"publish-wizard-{module.pk}"
    if key not in request.session or request.GET.get("restart"):
        choices = services.existing_choices(module, module.head_branch)
        state = {
            "ref": module.head_branch,
            **asdict(choices or PublishChoices(entrypoint="")),
            "from_config": choices is not None,
        }
        request.session[key] = state
    return request.session[key]


def _request_from(state: dict, hub_url: str = "") -> services.PublishRequest:
    """The wizard's session state as a publish request."""
    names = [f.name for f in fields(PublishChoices)]
    return services.PublishRequest.from_choices(
        state["ref"], PublishChoices(**{name: state[name] for name in names}), hub_url=hub_url
    )


def _save_state(request: HttpRequest, module: Module, state: dict) -> None:
    request.session[f"publish-wizard-{module.pk}"] = state
    request.session.modified = True


def _step_url(module: Module, step: str) -> str:
    return reverse("publish-wizard", args=[module.namespace, module.slug]) + f"?step={step}"


@module_view(need="write")
def publish_wizard(request: HttpRequest, module: Module) -> HttpResponse:
    if not module.is_publishable:
        messages.error(
            request, f"{module.full_name} is a dataset; only code modules are published."
        )
        return redirect(module)
    state = _wizard_state(request, module)
    step = request.GET.get("step", "source")
    if step not in STEPS:
        raise Http404("Unknown wizard step.")
    context = {
        **module_context(request, module, state["ref"]),
        "step": step,
        "steps": STEPS,
        "state": state,
        "errors": [],
    }
    if context["empty"]:
        messages.error(request, "Push or upload code before publishing.")
        return redirect(module)
    handler = {
        "source": _source_step,
        "parameters": _parameters_step,
        "environment": _environment_step,
        "review": _review_step,
    }[step]
    return handler(request, module, state, context)


def _source_step(request, module, state, context) -> HttpResponse:
    if request.method == "POST":
        for field in (
            "ref",
            "entrypoint",
            "inference_entrypoint",
            "parameters_file",
            "requirements_path",
        ):
            state[field] = request.POST.get(field, "").strip()
        state["requirements_path"] = state["requirements_path"] or "requirements.txt"
        try:
            sha = module.repository.resolve(state["ref"])
            services.check_paths(module, sha, _request_from(state))
            _check_requirements(module, sha, state["requirements_path"])
        except (RepositoryError, services.PublishError) as error:
            context["errors"].append(str(error))
        else:
            _save_state(request, module, state)
            return redirect(_step_url(module, "parameters"))
    ref = request.GET.get("ref") or state["ref"]
    try:
        files = module.repository.list_files(ref)
    except RepositoryError:
        ref = module.head_branch
        files = module.repository.list_files(ref)
    state["ref"] = ref
    context.update(
        ref=ref,
        python_files=[f for f in files if f.endswith(".py")],
        files=files,
        requirements_files=_requirements_candidates(files, state["requirements_path"]),
    )
    status = 400 if context["errors"] else 200
    return render(request, "publishing/wizard.html", context, status=status)


def _check_requirements(module: Module, sha: str, path: str) -> None:
    """The wizard only offers files that exist, so a missing one is caught here, not at build."""
    if path not in module.repository.list_files(sha):
        raise services.PublishError(
            f"Requirements file '{path}' does not exist at {sha[:10]}. Choose one of the "
            "repository's files, or add a requirements.txt (it may be empty)."
        )


def _requirements_candidates(files: list[str], chosen: str) -> list[str]:
    """Likely requirements files first, then every other file of the revision."""
    likely = [f for f in files if f.rsplit("/", 1)[-1].startswith("requirements")]
    likely += [f for f in files if f.endswith(".txt") and f not in likely]
    rest = [f for f in files if f not in likely and not f.endswith(".py")]
    ordered = likely + rest
    return ordered if chosen in ordered or not chosen else [chosen, *ordered]


def _read_for_wizard(module: Module, state: dict) -> tuple[dict, list[str]]:
    """The parameters of the chosen entry point and the problems that block publishing."""
    try:
        sha = module.repository.resolve(state["ref"])
        result = services.read_parameters(module, sha, state["entrypoint"])
    except (RepositoryError, EntrypointError) as error:
        message = (
            f"The parameters cannot be read: {error}. Publishing would "
            "fail; fix the script or choose another entry point."
        )
        return {"parameters": [], "warnings": []}, [message]
    problem = convention_problem(result)
    return result, [problem] if problem else []


def _parameters_step(request, module, state, context) -> HttpResponse:
    result, problems = _read_for_wizard(module, state)
    context["errors"] += problems
    context["blocked"] = bool(problems)
    if request.method == "POST" and not problems:
        shown = set(request.POST.getlist("visible"))
        names = request.POST.getlist("name")
        state["hidden_parameters"] = [name for name in names if name not in shown]
        _save_state(request, module, state)
        return redirect(_step_url(module, "environment"))
    context["result"] = result
    status = 400 if request.method == "POST" else 200
    return render(request, "publishing/wizard.html", context, status=status)


def _environment_step(request, module, state, context) -> HttpResponse:
    environments = BaseEnvironment.objects.filter(active=True)
    if request.method == "POST":
        chosen = request.POST.get("base_environment", "")
        if environments.filter(name=chosen).exists():
            state["base_environment"] = chosen
            _save_state(request, module, state)
            return redirect(_step_url(module, "review"))
        context["errors"].append("Choose one of the base environments.")
    context["environments"] = environments
    return render(
        request, "publishing/wizard.html", context, status=400 if context["errors"] else 200
    )


def _review_step(request, module, state, context) -> HttpResponse:
    context["environment"] = BaseEnvironment.objects.filter(name=state["base_environment"]).first()
    if request.method == "POST":
        # Nothing is spent (no version, no mlreef.yml commit) while step 2 shows a problem.
        _, problems = _read_for_wizard(module, state)
        if problems:
            messages.error(request, "Fix the problem shown below before publishing.")
            return redirect(_step_url(module, "parameters"))
        branch_head = module.repository.branch_heads().get(state["ref"])
        try:
            publication = services.start_publication(
                module, request.user, _request_from(state, public_base_url(request))
            )
        except services.PublishError as error:
            context["errors"].append(str(error))
        else:
            request.session.pop(f"publish-wizard-{module.pk}", None)
            if branch_head and publication.commit_sha != branch_head:
                messages.info(
                    request,
                    f"Publishing committed mlreef.yml to {publication.branch}: run git pull "
                    "before your next push, or git will refuse it.",
                )
            return redirect(publication)
    return render(
        request, "publishing/wizard.html", context, status=400 if context["errors"] else 200
    )


@module_view()
def publication_list(request: HttpRequest, module: Module) -> HttpResponse:
    services.reap_stale_publications(module.publications)
    return render(
        request,
        "publishing/list.html",
        {
            **module_context(request, module),
            "publications": module.publications.select_related("base_environment", "published_by"),
        },
    )


@module_view()
def publication_detail(request: HttpRequest, module: Module, version: int) -> HttpResponse:
    services.reap_stale_publications(module.publications.filter(version=version))
    publication = get_object_or_404(
        module.publications.select_related("base_environment"), version=version
    )
    return render(
        request,
        "publishing/detail.html",
        {
            **module_context(request, module),
            "publication": publication,
            "stopped_in": _stopped_in(publication),
            "stages": PIPELINE_STAGES,
            "lines": publication.lines.all()[:20000] if publication.is_final else [],
            "pull_command": f"docker pull {publication.image_reference}"
            if publication.image_reference
            else "",
        },
    )


def _stopped_in(publication: Publication) -> str:
    """The stage a failed or cancelled run stopped in: the step of its last line written
    before the run was marked stopped."""
    if publication.status not in (Status.FAILED, Status.CANCELLED):
        return ""
    step = (
        publication.lines.exclude(step__in=FINAL_STATUSES)
        .order_by("-number")
        .values_list("step", flat=True)
        .first()
    )
    return step or Status.QUEUED


@module_view()
def publication_log_text(request: HttpRequest, module: Module, version: int) -> HttpResponse:
    """The whole log as a text file (colour codes removed), to keep or attach to a report."""
    publication = get_object_or_404(module.publications, version=version)
    lines = publication.lines.order_by("number").values_list("created_at", "text").iterator()
    response = StreamingHttpResponse(
        (f"{created:%Y-%m-%d %H:%M:%S} {strip_ansi(text)}\n" for created, text in lines),
        content_type="text/plain; charset=utf-8",
    )
    name = f"{module.namespace}-{module.slug}-v{version}.log"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@module_view(need="write")
@require_POST
def publication_cancel(request: HttpRequest, module: Module, version: int) -> HttpResponse:
    publication = get_object_or_404(module.publications, version=version)
    services.cancel_publication(publication)
    messages.info(request, f"Cancelling version {version}.")
    return redirect(publication)


@module_view()
def publication_events(request: HttpRequest, module: Module, version: int) -> HttpResponse:
    """Server-Sent Events (log lines with id = line number, status changes, then 'end'),
    served by the stream server: this view checks access and answers 307 to a signed link."""
    publication = get_object_or_404(module.publications, version=version)
    return redirect_to_stream(request, "publication", publication.pk)
