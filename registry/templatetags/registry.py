"""``{% load registry %}``: registry figures for pages of lower apps (the profile), which may
not import the registry themselves."""

from __future__ import annotations

from django import template
from django.template.defaultfilters import filesizeformat

from registry.maintenance import namespace_usage

register = template.Library()


@register.simple_tag
def image_storage(namespace: str) -> str:
    """Human-readable bytes the namespace's images take in the built-in registry."""
    return filesizeformat(namespace_usage(namespace))
