"""Reactions to events of other apps."""

from __future__ import annotations

from . import services


def publish_after_push(sender, module, user, changes: dict, **kwargs) -> None:
    """Publish-on-push: a push to the module's publish branch that carries mlreef.yml."""
    for branch, (_old, new) in changes.items():
        if new:
            services.publish_on_push(module, branch)
