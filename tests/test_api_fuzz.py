"""schemathesis over the whole OpenAPI schema against a live server with the demo data."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from rest_framework.authtoken.models import Token

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("username", ["admin", "mikran"])
def test_no_server_errors_anywhere_in_the_api(live_server, username, tmp_path, settings):
    settings.API_RATE_USER = ""  # the fuzzer's volume is not what the budget is for
    call_command("load_demo")
    token, _ = Token.objects.get_or_create(user=get_user_model().objects.get(username=username))
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "15")
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            "not_a_server_error",
            "-H",
            f"Authorization: Token {token.key}",
            "--max-examples",
            examples,
            "--generation-deterministic",
            "--request-timeout",
            "30",
            "--no-color",
            "--report",
            "junit",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    output = result.stdout + result.stderr
    summary = "\n".join(output.splitlines()[-40:])
    print(summary)
    assert result.returncode == 0, summary
