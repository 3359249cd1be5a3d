"""Publishing's part of pages owned by lower apps: the module page shows the latest version,
how to run it and its parameters without ``modules`` importing ``publishing``."""

from __future__ import annotations

from django import template

from ..models import Publication, Status
from ..usage import is_platform_parameter, shown_parameters, strip_ansi, usage_for

register = template.Library()


@register.inclusion_tag("publishing/_module_summary.html", takes_context=True)
def module_publication(context, module) -> dict:
    """The latest published version (badge, image, usage, parameter table) and, when a newer
    version is on its way or failed, a badge for that one too."""
    newest = module.publications.order_by("-version").first()
    latest = module.publications.filter(status=Status.PUBLISHED).order_by("-version").first()
    return {
        "module": module,
        "newest": newest,
        "latest": latest,
        "usage": usage_for(latest) if latest else None,
        "parameters": shown_parameters(latest) if latest else [],
        "can_write": context.get("can_write", False),
    }


@register.inclusion_tag("publishing/_usage.html")
def publication_usage(publication: Publication) -> dict:
    """The usage block and parameter table of one version."""
    return {
        "publication": publication,
        "usage": usage_for(publication),
        "parameters": shown_parameters(publication),
    }


@register.filter
def duration(value) -> str:
    """A timedelta as "2 min 5 s" (builds take seconds to minutes)."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or hours else []
    return " ".join([*parts, f"{seconds} s"])


@register.filter
def is_platform(parameter: dict) -> bool:
    """--input-path/--output-path: the platform always passes them, so they cannot be hidden."""
    return is_platform_parameter(parameter)


@register.inclusion_tag("publishing/_latest_badge.html")
def latest_version_badge(module) -> dict:
    """The header's badge: the latest published version, or the newest one's status."""
    newest = module.publications.order_by("-version").first()
    latest = module.publications.filter(status=Status.PUBLISHED).order_by("-version").first()
    return {"badge": latest or newest}


@register.filter(name="strip_ansi")
def strip_ansi_filter(text: str) -> str:
    """Log text without terminal colour codes (which would show as "[91m")."""
    return strip_ansi(text)
