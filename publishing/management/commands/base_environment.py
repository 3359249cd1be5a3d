"""Register a base environment, optionally importing its image from a root file system.

No image can be pulled on an air-gapped install, so ``--rootfs DIR`` turns a directory made by
debootstrap (or any unpacked root file system with Python) into an image with ``docker import``.

    python manage.py base_environment python-3.11 --image mlreef/python:3.11 --python 3.11 \\
        --rootfs /var/cache/mlreef/rootfs-bookworm --description "Debian bookworm, CPU"
"""

from __future__ import annotations

import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from publishing.models import BaseEnvironment


class Command(BaseCommand):
    help = "Create or update a base environment; --rootfs imports its image first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name")
        parser.add_argument("--image", required=True, help="Image reference, e.g. mlreef/py:3.11")
        parser.add_argument("--python", required=True, help="Python version in the image")
        parser.add_argument("--accelerator", choices=["cpu", "gpu"], default="cpu")
        parser.add_argument("--description", default="")
        parser.add_argument("--rootfs", help="Root file system directory to import as the image")
        parser.add_argument("--inactive", action="store_true", help="Hide it from the wizard")

    def handle(
        self, *args, name, image, python, accelerator, description, rootfs, inactive, **options
    ) -> None:
        if rootfs:
            self._import(Path(rootfs), image)
        environment, created = BaseEnvironment.objects.update_or_create(
            name=name,
            defaults={
                "image": image,
                "python_version": python,
                "accelerator": accelerator,
                "description": description,
                "active": not inactive,
            },
        )
        self.stdout.write(f"{'Created' if created else 'Updated'} base environment {environment}")

    def _import(self, rootfs: Path, image: str) -> None:
        if not (rootfs / "usr" / "bin").is_dir():
            raise CommandError(f"{rootfs} does not look like a root file system (no usr/bin).")
        import docker

        client = docker.APIClient(base_url=settings.DOCKER_HOST, timeout=600)
        repository, _, tag = (
            image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "latest")
        )
        with tempfile.TemporaryDirectory() as tmp:
            archive = Path(tmp) / "rootfs.tar"
            # tar(1) keeps devices, owners and hard links exactly as debootstrap left them.
            result = subprocess.run(
                ["tar", "-C", str(rootfs), "-cf", str(archive), "."], capture_output=True, text=True
            )
            if result.returncode != 0 or not tarfile.is_tarfile(archive):
                raise CommandError(f"Could not archive {rootfs}: {result.stderr.strip()}")
            self.stdout.write(f"Importing {rootfs} as {repository}:{tag} …")
            client.import_image_from_file(str(archive), repository=repository, tag=tag)
