"""A web worker settles the garbage collector when it starts (roadmap_portal/runtime.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from roadmap_portal.runtime import THRESHOLDS

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
before = gc.get_freeze_count()
import roadmap_portal.wsgi
print(json.dumps({
    "before": before,
    "frozen": gc.get_freeze_count(),
    "thresholds": gc.get_threshold(),
    "loaded": "procurement.api.views" in __import__("sys").modules,
}))
"""


def test_loading_the_wsgi_application_freezes_the_start_up_objects():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "roadmap_portal.settings"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["before"] == 0
    # Django, the URL configuration and every view module: well over the few thousand
    # objects of a bare interpreter.
    assert found["frozen"] > 50_000
    assert tuple(found["thresholds"]) == THRESHOLDS
    assert found["loaded"] is True
