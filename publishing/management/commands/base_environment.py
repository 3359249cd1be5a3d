"""Register a base environment, optionally importing its image from a root file system.

No image can be pulled on an air-gapped install, so ``--rootfs DIR`` turns a directory made by
debootstrap (or any unpacked root file system with Python) into a one-layer image written
straight into the registry (deterministic, no Docker engine); ``--docker`` also imports it into
the Docker engine, for the Docker builder.

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
        parser.add_argument(
            "--docker", action="store_true", help="With --rootfs: also import into Docker"
        )

    def handle(
        self,
        *args,
        name,
        image,
        python,
        accelerator,
        description,
        rootfs,
        inactive,
        docker,
        **options,
    ) -> None:
        if rootfs:
            self._check_rootfs(Path(rootfs))
            self._write_to_registry(Path(rootfs), image)
            if docker:
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

    def _check_rootfs(self, rootfs: Path) -> None:
        if not (rootfs / "usr" / "bin").is_dir():
            raise CommandError(f"{rootfs} does not look like a root file system (no usr/bin).")

    def _write_to_registry(self, rootfs: Path, image: str) -> None:
        from publishing.builders.daemonless.base_image import import_rootfs
        from publishing.builders.daemonless.builder import registry_client
        from publishing.oci.client import RegistryError

        client = registry_client(self._push_target(image))
        try:
            digest = import_rootfs(rootfs, image, client, self.stdout.write)
        except (RegistryError, ValueError) as error:
            raise CommandError(f"Could not write {image} to {client.registry}: {error}") from None
        finally:
            client.close()
        self.stdout.write(f"Wrote {rootfs} as {client.registry}/{image} ({digest})")

    def _push_target(self, image: str):
        """The built-in registry takes images of modules only: the base image's name must be a
        module (e.g. a public ``python`` module of the ``mlreef`` user for mlreef/python)."""
        from modules.services import find_module
        from publishing.registry import ExternalRegistry, get_registry

        registry = get_registry()
        if isinstance(registry, ExternalRegistry):
            return None
        name = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
        namespace, _, slug = name.partition("/")
        module = find_module(namespace, slug).module if slug and "/" not in slug else None
        if module is None:
            raise CommandError(
                f"The built-in registry keeps images of modules: create the module {name} "
                "(public, so every build may read it) before writing its image."
            )
        return registry.push_target(module)

    def _import(self, rootfs: Path, image: str) -> None:
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
