"""Configuration read from the environment: production safety and clear start-up errors."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS")
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_passes_the_deploy_check_with_zero_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        SECRET_KEY="k" * 20 + "-production-secret-0123456789-abcdefghijklmnop",
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL=os.environ.get("DATABASE_URL") or "postgres://u:p@127.0.0.1:5432/db",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_mode_without_secret_key_says_what_to_set():
    result = run_manage(
        "check",
        DJANGO_ENV="production",
        ALLOWED_HOSTS="portal.example.org",
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/db",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_mode_without_database_url_says_what_to_set():
    env = {
        "DJANGO_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "x.org",
        "DATABASE_URL": "",
    }
    result = run_manage("check", **env)
    assert result.returncode != 0
    assert "DATABASE_URL is not set" in result.stderr


def test_a_malformed_database_url_fails_at_start_with_the_expected_form():
    result = run_manage("check", DATABASE_URL="mysqlx://nobody@host/db")
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr and "postgres://" in result.stderr


def test_an_unknown_mode_is_refused():
    result = run_manage("check", DJANGO_ENV="staging")
    assert result.returncode != 0
    assert "DJANGO_ENV" in result.stderr


def test_language_time_zone_and_aware_datetimes():
    from roadmap_portal import settings

    assert settings.LANGUAGE_CODE == "ru"
    assert [code for code, _ in settings.LANGUAGES] == ["ru", "en"]
    assert settings.TIME_ZONE == "Europe/Moscow" and settings.USE_TZ
