"""Settings for the MLReef-style module hub.

Everything that differs between a laptop, CI and production comes from environment variables
(12-factor). The defaults run the whole platform on embedded pieces: SQLite for data and a
filesystem Celery broker, so a fresh machine needs no external service.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """Read a string, also from ``NAME_FILE`` so secrets can come from mounted files."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# Everything the platform writes (database, repositories, secrets, logs) is owner-only.
os.umask(0o077)
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)
if DATA_DIR.stat().st_uid == os.getuid():
    DATA_DIR.chmod(0o700)
REPOSITORIES_DIR = DATA_DIR / "repositories"
REPOSITORIES_DIR.mkdir(exist_ok=True)


def _secret_key() -> str:
    """Use SECRET_KEY when given; otherwise keep a generated one in DATA_DIR, never in the repo."""
    configured = env_str("SECRET_KEY")
    if configured:
        return configured
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS: cookies only over TLS when the public URL is https (or when told), HSTS when asked,
# and X-Forwarded-Proto trusted only behind a proxy that sets it.
_https = env_str("PUBLIC_URL", "").startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", _https)
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "modules",
    "publishing",
    "registry",
    "pipelines",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "mlreef.middleware.RejectNullBytesMiddleware",
    "mlreef.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mlreef.urls"
WSGI_APPLICATION = "mlreef.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'db.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file-based test database lets the live servers the tests start (gunicorn, Celery) see it.
    # WAL lets the web process read logs while the worker writes them.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-db.sqlite3")}

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "library"
LOGOUT_REDIRECT_URL = "library"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Content-Security-Policy: pages run only scripts and styles served from the hub itself (static/),
# never inline code, so an HTML injection that slips past the sanitiser cannot run script.
# README images may come from other sites (badges), as on GitHub.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "https:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Shared by every process on the machine (throttle counters, remembered git credentials):
# files in DATA_DIR by default, Redis with CACHE_URL=redis://...
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

# Guessing limits (accounts.throttle): failed sign-ins (web, admin, git, API) per client
# address and per username within a window; sign-ups per address per hour.
LOGIN_FAILURES_PER_ADDRESS = env_int("LOGIN_FAILURES_PER_ADDRESS", 30)
LOGIN_FAILURES_PER_USER = env_int("LOGIN_FAILURES_PER_USER", 10)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 900)
SIGNUPS_PER_ADDRESS = env_int("SIGNUPS_PER_ADDRESS", 10)
GIT_CREDENTIAL_CACHE_SECONDS = env_int("GIT_CREDENTIAL_CACHE_SECONDS", 60)

# E-mail (password resets): written to files in DATA_DIR/mail unless an SMTP host is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "MLReef hub <noreply@localhost>")

# Platform behaviour
ALLOW_SIGNUP = env_bool("ALLOW_SIGNUP", True)
MAX_UPLOAD_SIZE = env_int("MAX_UPLOAD_SIZE", 50 * 1024 * 1024)
MAX_BROWSER_UPLOAD_SIZE = env_int("MAX_BROWSER_UPLOAD_SIZE", 1024**3)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_SIZE * 2  # base64 in JSON bodies grows by a third
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 200
GIT_BINARY = env_str("GIT_BINARY", "git")
# Pushes: git refuses a pack larger than MAX_PUSH_SIZE (receive.maxInputSize); the pre-receive
# hook refuses any file larger than MAX_FILE_SIZE (large data belongs in Git LFS).
MAX_PUSH_SIZE = env_int("MAX_PUSH_SIZE", 2 * 1024**3)
MAX_FILE_SIZE = env_int("MAX_FILE_SIZE", 100 * 1024**2)
PUBLIC_URL = env_str("PUBLIC_URL", "").rstrip("/")

# Git LFS and datasets: where objects live, when a browser upload becomes an LFS object, how
# much one namespace may store (0: no limit), how long unreferenced objects survive lfs_gc.
LFS_DIR = Path(env_str("LFS_DIR", str(DATA_DIR / "lfs"))).resolve()
LFS_UPLOAD_THRESHOLD = env_int("LFS_UPLOAD_THRESHOLD", 10 * 1024 * 1024)
STORAGE_QUOTA = env_int("STORAGE_QUOTA", 0)
LFS_GC_GRACE_SECONDS = env_int("LFS_GC_GRACE_SECONDS", 24 * 3600)

# Celery: Redis when CELERY_BROKER_URL is set, otherwise a broker that lives in DATA_DIR.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A worker on its own DATA_DIR (no shared data disk) points this at the same folder.
    _broker_dir = Path(env_str("CELERY_BROKER_DIR", str(DATA_DIR / "celery-broker")))
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport, writing each message atomically (see mlreef/broker.py).
    CELERY_BROKER_TRANSPORT = "mlreef.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) messages; kombu would otherwise write ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
        # A folder listing is cheap: look ten times a second, so a queued run or build starts
        # promptly (kombu's default waits up to a second; Redis pushes instead).
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = {
    "reap-stale-publications": {
        "task": "publishing.tasks.reap_stale_publications_task",
        "schedule": 60.0,
    },
    "resend-queued-publications": {
        "task": "publishing.tasks.resend_queued_publications_task",
        "schedule": 60.0,
    },
    "sweep-repositories": {"task": "modules.tasks.sweep_repositories_task", "schedule": 3600.0},
    "reap-stale-runs": {"task": "pipelines.tasks.reap_stale_runs_task", "schedule": 30.0},
    "expire-registry-uploads": {
        "task": "registry.tasks.expire_uploads_task",
        "schedule": 3600.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(DATA_DIR / "celerybeat-schedule")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.TokenScopePermission"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mlreef.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "MLReef module hub API",
    "DESCRIPTION": "AI modules as git repositories: accounts, tokens, modules and their code; "
    "publishing a module's code as a numbered container image (a version) on a base "
    "environment. Authenticate with a personal access token (Authorize button): "
    "`Authorization: Bearer <token>`.",
    "TAGS": [
        {"name": "users", "description": "The signed-in user."},
        {"name": "tokens", "description": "Personal access tokens (read or write scope)."},
        {
            "name": "modules",
            "description": "AI modules and datasets: git repositories with metadata, their "
            "branches, commits, files and collaborators. Publishing: POST "
            "`modules/{namespace}/{slug}/publications/` builds the code at a revision into "
            "a container image version (202, then follow its status and log); cancel stops "
            "it. Published versions are immutable and pullable.",
        },
        {
            "name": "base-environments",
            "description": "The images modules are built on (Python version, CPU or GPU); a "
            "publication names one. Administrators add them.",
        },
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mlreef.api.add_summaries",
        # Every operation's 4xx answers (the Bearer scheme is accounts.schema).
        "mlreef.openapi.add_error_responses",
    ],
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# Publishing: how module images are built and where they are pushed.
# "auto": the daemonless builder (no Docker engine); "docker", or a dotted path to a builder class.
IMAGE_BUILDER = env_str("IMAGE_BUILDER", "auto")
DOCKER_HOST = env_str("DOCKER_HOST", "unix:///var/run/docker.sock")
# Empty: images go to the hub's built-in registry (/v2/ on this server).
REGISTRY_URL = env_str("REGISTRY_URL", "")
REGISTRY_BACKEND = env_str("REGISTRY_BACKEND", "")
REGISTRY_USERNAME = env_str("REGISTRY_USERNAME", "")
REGISTRY_PASSWORD = env_str("REGISTRY_PASSWORD", "")
# pip inside the build: index, extra index and a CA bundle (needed behind TLS-inspecting proxies).
# The CA bundle defaults to the host's own, so a build trusts what the host trusts.
BUILD_PIP_INDEX_URL = env_str("BUILD_PIP_INDEX_URL", "")
BUILD_PIP_EXTRA_INDEX_URL = env_str("BUILD_PIP_EXTRA_INDEX_URL", "")
_system_ca = "/etc/ssl/certs/ca-certificates.crt"
BUILD_CA_BUNDLE = env_str("BUILD_CA_BUNDLE", _system_ca if Path(_system_ca).exists() else "")
# The build worker's own cache (dependency layers, pip's downloads); nothing in it is shared.
BUILD_CACHE_DIR = Path(env_str("BUILD_CACHE_DIR", str(DATA_DIR / "build-cache")))
# How build workers reach the hub's git over HTTP when they do not share its disk.
BUILD_HUB_URL = env_str("BUILD_HUB_URL", "")
PUBLISH_HEARTBEAT_TIMEOUT = env_int("PUBLISH_HEARTBEAT_TIMEOUT", 600)
PUBLISH_LOG_LIMIT = env_int("PUBLISH_LOG_LIMIT", 5 * 1024 * 1024)
PUBLISH_PUSH_RETRIES = env_int("PUBLISH_PUSH_RETRIES", 3)
PUBLISH_TIME_LIMIT = env_int("PUBLISH_TIME_LIMIT", 3600)
PUBLISH_REQUEUE_AFTER = env_int("PUBLISH_REQUEUE_AFTER", 300)
PUBLISH_QUEUE_TIMEOUT = env_int("PUBLISH_QUEUE_TIMEOUT", 3600)

# Experiments (pipelines): run workers take runs from their own queue, reach the hub over HTTP.
RUNNER = env_str("RUNNER", "pipelines.runners.docker.DockerRunner")
RUN_QUEUE = env_str("RUN_QUEUE", "runs")
RUN_GPU_QUEUE = env_str("RUN_GPU_QUEUE", "runs-gpu")
# Sent to the run queue: a run worker removes the containers dead workers left on its engine
# (every run worker also sweeps when it starts, GPU ones included).
CELERY_BEAT_SCHEDULE["sweep-run-containers"] = {
    "task": "pipelines.tasks.sweep_run_containers_task",
    "schedule": 900.0,
    "options": {"queue": RUN_QUEUE, "expires": 900},
}
HUB_URL = env_str("HUB_URL", PUBLIC_URL or "http://127.0.0.1:8000").rstrip("/")
RUN_CPU_LIMIT = float(env_str("RUN_CPU_LIMIT", "1") or "1")
RUN_MEMORY_LIMIT_MB = env_int("RUN_MEMORY_LIMIT_MB", 2048)
RUN_TIME_LIMIT_SECONDS = env_int("RUN_TIME_LIMIT_SECONDS", 3600)
RUN_HEARTBEAT_TIMEOUT = env_int("RUN_HEARTBEAT_TIMEOUT", 600)
RUN_LOG_LIMIT = env_int("RUN_LOG_LIMIT", 5 * 1024 * 1024)
RUN_ARTIFACT_LIMIT = env_int("RUN_ARTIFACT_LIMIT", 1024 * 1024 * 1024)
RUN_WORK_DIR = env_str("RUN_WORK_DIR", "")
ARTIFACTS_DIR = Path(env_str("ARTIFACTS_DIR", str(DATA_DIR / "artifacts")))
ARTIFACTS_GC_GRACE_SECONDS = env_int("ARTIFACTS_GC_GRACE_SECONDS", 24 * 3600)
# Daily, on the default queue (its workers hold ARTIFACTS_DIR, as the web server does).
CELERY_BEAT_SCHEDULE["artifacts-gc"] = {
    "task": "pipelines.tasks.artifacts_gc_task",
    "schedule": 86400.0,
}

# Live streams (mlreef.streams): served by their own ASGI server so that open streams never hold
# the threads that serve pages and git. Sources are what can be streamed, by name.
STREAM_BIND = env_str("STREAM_BIND", "127.0.0.1:8001")
STREAM_PUBLIC_URL = env_str("STREAM_PUBLIC_URL", "").rstrip("/")
STREAM_MAX_TOTAL = env_int("STREAM_MAX_TOTAL", 1000)
STREAM_MAX_PER_CLIENT = env_int("STREAM_MAX_PER_CLIENT", 20)
STREAM_MAX_SECONDS = env_int("STREAM_MAX_SECONDS", 300)
STREAM_TOKEN_TTL = env_int("STREAM_TOKEN_TTL", 60)
STREAM_SOURCES = {
    "publication": "publishing.streams.PublicationLogSource",
    "run": "pipelines.streams.RunLogSource",
    "run-metrics": "pipelines.streams.RunMetricSource",
}
# Addresses of reverse proxies whose X-Forwarded-For names the real client (per-address limits).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

LOG_LEVEL = env_str("LOG_LEVEL", "INFO")

# The built-in registry (/v2/) and the tokens the hub signs for it or for an external registry
# configured with ``auth: token`` (service and issuer must match that registry's config).
REGISTRY_TOKEN_SERVICE = env_str("REGISTRY_TOKEN_SERVICE", "mlreef-registry")
REGISTRY_TOKEN_ISSUER = env_str("REGISTRY_TOKEN_ISSUER", "mlreef-hub")
REGISTRY_TOKEN_TTL = env_int("REGISTRY_TOKEN_TTL", 300)
# Accept manifests naming blobs or child manifests the repository lacks (partial copies of
# multi-platform images); by default they are refused with MANIFEST_BLOB_UNKNOWN.
REGISTRY_SPARSE_MANIFESTS = env_bool("REGISTRY_SPARSE_MANIFESTS", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}

# Static files are served by WhiteNoise straight from the source folders: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
