"""Delete Git LFS objects that no repository references any more.

A reference whose object no pointer in the repository's history names (an upload whose push
never landed, a branch deleted since) is dropped once it is older than the grace period; an
object without references is deleted once its file is older than the grace period too, so an
upload under way (object stored, reference about to be written) is never swept.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from modules.lfs.gc import collect_garbage
from modules.quota import human_size


class Command(BaseCommand):
    help = "Delete Git LFS objects no repository references (after a grace period)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=settings.LFS_GC_GRACE_SECONDS,
            help="Keep anything younger than this (default: LFS_GC_GRACE_SECONDS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only report.")

    def handle(self, *args, grace_seconds: int, dry_run: bool, **options) -> None:
        report = collect_garbage(grace_seconds, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        self.stdout.write(
            f"{verb} {report.references} stale reference(s) and {report.objects} object(s), "
            f"freeing {human_size(report.freed_bytes)}."
        )
