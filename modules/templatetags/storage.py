"""``{% storage_usage user %}``: what a namespace stores in git and Git LFS, against its quota.

A template tag, so the profile page (in accounts, which may not import modules) can show it.
"""

from __future__ import annotations

from django import template

from modules import quota

register = template.Library()


@register.simple_tag
def storage_usage(user) -> str:
    used = quota.usage(user)
    text = (
        f"{quota.human_size(used.total)} (git {quota.human_size(used.git_bytes)}, "
        f"Git LFS {quota.human_size(used.lfs_bytes)})"
    )
    if used.limit:
        text += f" of {quota.human_size(used.limit)} ({used.percent}%)"
    return text
