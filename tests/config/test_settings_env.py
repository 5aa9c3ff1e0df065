"""Settings read the environment and refuse values they cannot use."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config.env import ImproperlyConfiguredEnv, env_bool, env_int, env_list, env_str

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "SECRET_KEY", "TIME_ZONE"}}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.DATABASES['default']['ENGINE'], s.DEBUG)"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("raw,expected", [("true", True), ("1", True), ("On", True), ("false", False), ("0", False)])
def test_env_bool_accepts_the_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("X_FLAG", raw)
    assert env_bool("X_FLAG", not expected) is expected


def test_env_bool_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("X_FLAG", "ture")
    with pytest.raises(ImproperlyConfiguredEnv, match="X_FLAG"):
        env_bool("X_FLAG", False)


def test_env_int_refuses_text(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfiguredEnv, match="X_NUM"):
        env_int("X_NUM", 1)


def test_env_list_splits_and_trims(monkeypatch):
    monkeypatch.setenv("X_HOSTS", " a.example, b.example ,,")
    assert env_list("X_HOSTS", []) == ["a.example", "b.example"]


def test_secret_may_come_from_a_file(monkeypatch, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    assert env_str("X_SECRET") == "from-file"


def test_a_missing_secret_file_fails_loudly(monkeypatch, tmp_path):
    monkeypatch.setenv("X_SECRET_FILE", str(tmp_path / "absent"))
    with pytest.raises(ImproperlyConfiguredEnv):
        env_str("X_SECRET")


def test_settings_default_to_sqlite():
    result = _load_settings(SECRET_KEY="k" * 40)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "False"]


def test_settings_use_postgresql_from_database_url():
    result = _load_settings(SECRET_KEY="k" * 40, DATABASE_URL="postgres://u@127.0.0.1:5432/x")
    assert result.stdout.split()[0] == "django.db.backends.postgresql"


@pytest.mark.parametrize(
    "env,needle",
    [
        ({"DEBUG": "maybe"}, "DEBUG"),
        ({"DEBUG": "false"}, "SECRET_KEY"),
        ({"SECRET_KEY": "k" * 40, "DATABASE_URL": "nonsense://"}, "DATABASE_URL"),
        ({"SECRET_KEY": "k" * 40, "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({"SECRET_KEY": "k" * 40, "LANGUAGE_CODE": "fr"}, "LANGUAGE_CODE"),
    ],
)
def test_settings_fail_loudly_on_bad_values(env, needle):
    result = _load_settings(**env)
    assert result.returncode != 0
    assert "ImproperlyConfiguredEnv" in result.stderr and needle in result.stderr


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
