"""The committed openapi.yaml is the API's contract: the code must produce exactly it, and
drf-spectacular builds and validates it without a warning.

After an intended API change, regenerate it with ``make openapi`` and commit both.
"""

import difflib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = ROOT / "openapi.yaml"
# The contract describes production (PostgreSQL's integer ranges); generating the schema
# never connects, so the same URL serves `make openapi` and this test everywhere.
SCHEMA_DATABASE_URL = "postgres://schema@127.0.0.1:5432/schema"

# Both tests read one build, on one worker.
pytestmark = pytest.mark.xdist_group("openapi")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """``make openapi``'s command, refusing warnings: the process's result and the file."""
    generated = tmp_path_factory.mktemp("openapi") / "openapi.yaml"
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "spectacular",
            "--lang",
            "en",
            "--file",
            str(generated),
            "--validate",
            "--fail-on-warn",
        ],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": SCHEMA_DATABASE_URL},
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, generated


def test_openapi_schema_builds_without_warnings(build):
    result, _generated = build
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr and "Error" not in result.stderr, result.stderr[-3000:]


def test_openapi_yaml_matches_the_code(build):
    result, generated = build
    assert result.returncode == 0, result.stderr[-3000:]
    assert CONTRACT.exists(), "openapi.yaml is missing: run `make openapi` and commit it"
    committed = CONTRACT.read_text().splitlines(keepends=True)
    current = generated.read_text().splitlines(keepends=True)
    if committed != current:
        diff = "".join(
            difflib.unified_diff(
                committed, current, "openapi.yaml (committed)", "openapi.yaml (from the code)"
            )
        )
        lines = diff.splitlines()
        shown = "\n".join(lines[:200]) + (
            f"\n... {len(lines) - 200} more lines" if len(lines) > 200 else ""
        )
        raise AssertionError(
            "The API differs from the committed contract openapi.yaml. If the change is "
            "intended, run `make openapi` and commit the file (mind the versioning policy in "
            "docs/api.md: inside v1 only additions).\n" + shown
        )
