"""Delete run artifact files that no run names any more.

Runs go with their module (or dataset), and their artifact rows with them; the files stay in
the shared, content-addressed store until this command frees them. A file is kept while any
artifact row names it, and while it is younger than the grace period (an upload under way
stores the file just before writing its row).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from modules.quota import human_size
from pipelines.services.artifacts import collect_garbage


class Command(BaseCommand):
    help = "Delete run artifact files no run names (after a grace period)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=settings.ARTIFACTS_GC_GRACE_SECONDS,
            help="Keep anything younger than this (default: ARTIFACTS_GC_GRACE_SECONDS).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only report.")

    def handle(self, *args, grace_seconds: int, dry_run: bool, **options) -> None:
        report = collect_garbage(grace_seconds, dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        abandoned = (
            f" and {human_size(report.incoming_freed_bytes)} of abandoned uploads"
            if report.incoming_freed_bytes
            else ""
        )
        self.stdout.write(
            f"{verb} {report.files} artifact file(s), freeing "
            f"{human_size(report.freed_bytes)}{abandoned}."
        )
