"""Run the whole platform (web + Celery worker) for a single machine.

This is what the README's first command ends with: it migrates, makes sure there is an admin to
log in with, and supervises gunicorn and a Celery worker until interrupted.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import User

# Not "admin": that is reserved, since /admin/ is the admin site, not a namespace.
ADMIN_USERNAME = "mlreef"


class Command(BaseCommand):
    help = (
        "Migrate, ensure an admin account, and run the web server, the stream server and a "
        "Celery worker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--bind", default=os.environ.get("BIND", "127.0.0.1:8000"))
        parser.add_argument("--no-worker", action="store_true", help="Run the web server only.")

    def handle(self, *args, bind: str, no_worker: bool, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        username, password = self._ensure_admin()
        # Run workers reach the hub over HTTP (datasets in, artifacts out), here on this machine.
        env = {**os.environ, "BIND": bind, "HUB_URL": os.environ.get("HUB_URL") or f"http://{bind}"}
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "mlreef/gunicorn_conf.py"],
                cwd=settings.BASE_DIR,
                env=env,
            ),
            # Live log streams, on their own event loop so they never hold gunicorn's threads.
            subprocess.Popen(
                [sys.executable, "manage.py", "serve_streams"], cwd=settings.BASE_DIR, env=env
            ),
        ]
        if not no_worker:
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "mlreef",
                        "worker",
                        "-Q",  # builds (the default queue) and experiment runs
                        f"celery,{settings.RUN_QUEUE}",
                        "--beat",  # also runs the schedule (reaping dead publications)
                        "--schedule",
                        str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
                        "--loglevel",
                        "INFO",
                        "--concurrency",
                        "2",
                    ],
                    cwd=settings.BASE_DIR,
                    env=env,
                )
            )
        self.stdout.write(self.style.SUCCESS(welcome(bind, username, password)))
        self._supervise(processes)

    def _ensure_admin(self) -> tuple[str, str | None]:
        return ensure_admin()

    def _supervise(self, processes: list[subprocess.Popen]) -> None:
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if not stopping:
            raise SystemExit("A platform process exited; stopping the others.")


def ensure_admin() -> tuple[str, str | None]:
    """Create the first superuser on first start. Its password is returned (to be printed)
    only then; it stays in DATA_DIR/admin-password (owner-only), never in later logs."""
    password_file = settings.DATA_DIR / "admin-password"
    admin = User.objects.filter(is_superuser=True).order_by("pk").first()
    if admin is not None:
        return admin.username, None
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(ADMIN_USERNAME, "", password)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    return ADMIN_USERNAME, password


def welcome(bind: str, username: str, password: str | None) -> str:
    password_file = settings.DATA_DIR / "admin-password"
    login = (
        f"Log in as '{username}' with the password {password} (kept in {password_file}; it is "
        "shown this once)"
        if password
        else f"Log in as '{username}' with the password kept in {password_file}"
    )
    return (
        f"\nMLReef hub running at http://{bind}/\n{login}\n"
        "or sign up a new account. Press Ctrl+C to stop.\n"
    )
