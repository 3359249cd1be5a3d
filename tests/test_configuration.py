"""docker-compose.yml, the README's settings table and the settings code agree."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def variables_read_by_code() -> set[str]:
    names = set()
    for path in (ROOT / "mlreef" / "settings.py", ROOT / "mlreef" / "gunicorn_conf.py"):
        source = path.read_text()
        names |= set(re.findall(r'env_(?:str|bool|int|list)\(\s*"([A-Z_]+)"', source))
        names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z_]+)"', source))
    return names


def variables_documented() -> set[str]:
    readme = (ROOT / "README.md").read_text()
    return set(re.findall(r"^\| `([A-Z_]+)` \|", readme, flags=re.M))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_setting_is_documented_and_every_documented_one_exists():
    assert variables_read_by_code() == variables_documented()


def test_compose_has_the_production_stack():
    services = compose()["services"]
    assert set(services) == {"web", "streams", "worker", "db", "redis"}
    assert services["streams"]["command"].endswith("manage.py serve_streams")
    assert "gunicorn" in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A mlreef worker")


def test_compose_environment_matches_the_settings():
    services = compose()["services"]
    known = variables_read_by_code()
    for name in ("web", "streams", "worker"):
        env = services[name]["environment"]
        assert set(env) <= known, set(env) - known
        assert "@db:5432/" in env["DATABASE_URL"] and env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://redis:6379")
        assert env["SECRET_KEY"].startswith("${")  # from the environment, never the repo
        assert env["DATA_DIR"] == "/data"
        assert "data:/data" in services[name]["volumes"]
    db_env = services["db"]["environment"]
    assert services["web"]["environment"]["DATABASE_URL"].endswith("/" + db_env["POSTGRES_DB"])


def test_readme_opens_with_the_two_commands():
    readme = (ROOT / "README.md").read_text().splitlines()
    block_start = readme.index("```sh")
    commands = readme[block_start + 1 : readme.index("```", block_start + 1)]
    assert len(commands) == 2
    assert commands[0].endswith("manage.py serve") and commands[1].endswith("-m pytest")


def test_compose_publishes_with_the_built_in_registry_and_the_daemonless_builder():
    services = compose()["services"]
    worker, web = services["worker"]["environment"], services["web"]["environment"]
    assert not worker.get("REGISTRY_URL") and worker.get("IMAGE_BUILDER", "auto") == "auto"
    assert worker["BUILD_HUB_URL"] == "http://web:8000"  # the registry and git live on web
    assert "web" in web["ALLOWED_HOSTS"] and web["PUBLIC_URL"].startswith("${PUBLIC_URL:-http")
    assert "/var/run/docker.sock" not in str(services["worker"].get("volumes"))
    assert "8001:8001" in services["streams"]["ports"]
