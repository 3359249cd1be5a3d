"""``manage.py registry_gc``: free the disk of blobs no manifest names any more."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from registry.maintenance import collect_garbage


class Command(BaseCommand):
    help = "Remove registry blobs that no manifest references, and expired upload sessions."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=24.0,
            help="Keep unreferenced blobs younger than this (uploads in flight). Default 24.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Only report what would go.")

    def handle(self, *args, grace_hours: float, dry_run: bool, **options) -> None:
        report = collect_garbage(timedelta(hours=grace_hours), dry_run=dry_run)
        verb = "Would remove" if dry_run else "Removed"
        self.stdout.write(
            f"{verb} {report.blobs_removed} blobs, {report.bytes_freed} bytes freed; "
            f"{report.uploads_expired} expired upload sessions "
            f"({report.upload_bytes_freed} bytes)."
        )
