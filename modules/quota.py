"""Storage used by a namespace, and the per-namespace limit (``STORAGE_QUOTA``, 0 = none).

A namespace's usage is the size of its git repositories on disk plus every distinct LFS object
its repositories reference (an object shared by two of its datasets counts once; an object it
shares with another namespace counts for both, since either may keep it alive).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Sum

from .hooks.pre_receive import directory_size
from .models import LfsObject, Module
from .repository import RepositoryError


class QuotaExceeded(RepositoryError):
    """The upload would take the namespace past its storage limit; the message says by how much."""


@dataclass(frozen=True)
class Usage:
    git_bytes: int
    lfs_bytes: int
    limit: int  # 0: no limit

    @property
    def total(self) -> int:
        return self.git_bytes + self.lfs_bytes

    @property
    def remaining(self) -> int | None:
        return None if not self.limit else max(self.limit - self.total, 0)

    @property
    def percent(self) -> int | None:
        return None if not self.limit else min(100, round(100 * self.total / self.limit))


def lfs_bytes(owner, oids_excluded: set[str] | None = None) -> int:
    objects = LfsObject.objects.filter(references__module__owner=owner).values("pk").distinct()
    queryset = LfsObject.objects.filter(pk__in=objects)
    if oids_excluded:
        queryset = queryset.exclude(oid__in=oids_excluded)
    return queryset.aggregate(total=Sum("size"))["total"] or 0


def usage(owner) -> Usage:
    git_bytes = sum(
        directory_size(module.repository_path) for module in Module.objects.filter(owner=owner)
    )
    return Usage(git_bytes=git_bytes, lfs_bytes=lfs_bytes(owner), limit=settings.STORAGE_QUOTA)


def namespace_references(owner, oid: str) -> bool:
    return LfsObject.objects.filter(oid=oid, references__module__owner=owner).exists()


def new_lfs_bytes(owner, objects: dict[str, int]) -> int:
    """Bytes of ``objects`` (oid -> size) that the namespace does not reference yet."""
    known = set(
        LfsObject.objects.filter(
            oid__in=list(objects), references__module__owner=owner
        ).values_list("oid", flat=True)
    )
    return sum(size for oid, size in objects.items() if oid not in known)


def check(owner, extra_bytes: int) -> None:
    """Refuse (QuotaExceeded) when ``extra_bytes`` more would pass the namespace's limit."""
    if not settings.STORAGE_QUOTA or extra_bytes <= 0:
        return
    current = usage(owner)
    if current.total + extra_bytes > current.limit:
        raise QuotaExceeded(
            f"Storage quota exceeded: namespace '{owner.username}' uses "
            f"{human_size(current.total)} of {human_size(current.limit)}, and this needs "
            f"{human_size(extra_bytes)} more. Delete data or ask an administrator for more space."
        )


def human_size(size: int | None) -> str:
    if size is None:
        return ""
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{int(value)} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"
