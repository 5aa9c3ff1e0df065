"""The production image and compose file: a pinned base image and a locked set of packages, a non-root
user, static files collected; the settings docker-compose.yml gives the containers pass `check --deploy`."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys

import pytest
import yaml
from django.conf import settings

ROOT = settings.BASE_DIR
BASE_ENV = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DJANGO_SETTINGS_MODULE": "config.settings"}
# What an operator's .env holds (docs/operations.md, first deployment).
OPERATOR_ENV = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "collections.example.com,localhost"}
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def _requirement_pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        name, _, version = line.partition("==")
        assert version, f"not pinned: {line}"
        pins[re.sub(r"[-_.]+", "-", re.sub(r"\[.*\]", "", name)).lower()] = version
    return pins


def _interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?error}."""

    def one(match: re.Match) -> str:
        name, kind, arg = match.groups()
        if env.get(name):
            return env[name]
        if kind == "?":
            raise AssertionError(f"compose requires {name}: {arg}")
        return arg or ""

    return VARIABLE.sub(one, value)


def _service_environment(service: str, env: dict[str, str]) -> dict[str, str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["services"][service]["environment"]
    return {name: _interpolate(str(value), env) for name, value in environment.items()}


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and tools on our own project
        args, cwd=ROOT, env={**BASE_ENV, **env}, capture_output=True, text=True, timeout=180
    )


def test_the_image_is_pinned_runs_as_a_user_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    [base] = [line for line in instructions if line.startswith("FROM ")]
    assert re.fullmatch(r"FROM python:3\.11\.\d+-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert instructions.index(f"USER {users[-1]}") < instructions.index(
        next(i for i in instructions if i.startswith("CMD"))
    )
    assert "pip install --no-deps -r requirements.lock" in dockerfile
    assert "manage.py collectstatic --noinput" in dockerfile


def test_the_lock_holds_every_requirement_at_its_pinned_version():
    required = _requirement_pins((ROOT / "requirements.txt").read_text())
    locked = _requirement_pins((ROOT / "requirements.lock").read_text())

    assert {name: locked.get(name) for name in required} == required


@pytest.mark.parametrize("behind_proxy", [False, True])
def test_the_compose_settings_pass_check_deploy(behind_proxy):
    operator = OPERATOR_ENV | ({"TRUST_X_FORWARDED_PROTO": "true"} if behind_proxy else {})
    environment = _service_environment("web", operator)
    assert environment["DEBUG"] == "false" and environment["HTTPS"] == "true"

    result = _run([sys.executable, "manage.py", "check", "--deploy"], environment)

    assert result.returncode == 0, result.stderr
    found = set(re.findall(r"\((\w+\.[A-Z]\d+)\)", result.stdout + result.stderr))
    # drf-spectacular's W001 is about API views' schema names, not settings (tests/hardening).
    assert found - {"drf_spectacular.W001"} == set(), result.stdout + result.stderr


# In the benchmark test's group: loading the application makes WhiteNoise walk staticfiles/, which the
# benchmark's collectstatic rewrites (a file listed then gone failed this on CI when both ran at once).
@pytest.mark.xdist_group("worker")
def test_gunicorn_loads_the_application_with_its_configuration():
    environment = _service_environment("web", OPERATOR_ENV)
    gunicorn = str(ROOT / ".venv" / "bin" / "gunicorn")

    result = _run([gunicorn, "--check-config", "-c", "config/gunicorn.py", "config.wsgi:application"], environment)

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_worker_alone_exports_its_metrics():
    assert "METRICS_WORKER_PORT" not in _service_environment("web", OPERATOR_ENV)
    assert _service_environment("worker", OPERATOR_ENV)["METRICS_WORKER_PORT"] == "9808"


def _compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:  # noqa: S603
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


def test_docker_compose_accepts_the_file():
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor docker-compose is installed")
    result = _run([*command, "config", "-q"], OPERATOR_ENV | {"HOME": os.environ.get("HOME", "/tmp")})
    assert result.returncode == 0, result.stderr
