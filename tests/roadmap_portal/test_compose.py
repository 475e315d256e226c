import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_file_has_the_production_shape():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    workers = {
        "worker": "celery",
        "worker-notifications": "notifications",
        "worker-webhooks": "webhooks",
        "worker-reports": "reports",
        "worker-imports": "imports,exports",
    }
    assert set(services) == {"postgres", "redis", "web", "beat", *workers}
    for name in ("postgres", "redis", "web", *workers):
        assert "healthcheck" in services[name], name
    assert "gunicorn" in services["web"]["command"]
    assert "beat" in services["beat"]["command"]
    for name, queues in workers.items():
        command = services[name]["command"]
        assert command[command.index("-Q") + 1] == queues, name
        assert "worker" in command, name
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])


def test_every_queue_a_task_is_routed_to_has_a_worker_in_compose(settings):
    from roadmap_portal.outbox.services import kind_of

    settings.TASK_QUEUE_PREFIX = ""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    served = set()
    for service in compose["services"].values():
        command = service.get("command")
        if isinstance(command, list) and "-Q" in command:
            served |= set(command[command.index("-Q") + 1].split(","))
    assert served == {"celery", "notifications", "webhooks", "reports", "imports", "exports"}
    from roadmap_portal.celery import app

    app.loader.import_default_modules()
    kinds = {kind_of(name) for name in app.tasks if not name.startswith("celery.")}
    assert kinds <= served
    assert {"notifications", "webhooks", "reports", "celery"} <= kinds
    beat = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {kind_of(name) for name in beat} <= served


def test_compose_config_is_accepted_by_docker_compose():
    command = (
        ["docker", "compose"]
        if shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
        else ["docker-compose"]
        if shutil.which("docker-compose")
        else None
    )
    if command is None:
        pytest.fail("neither 'docker compose' nor 'docker-compose': apt-get install docker-compose")
    result = subprocess.run(
        [*command, "config", "-q"],
        cwd=ROOT,
        env={"SECRET_KEY": "s", "POSTGRES_PASSWORD": "p", "PATH": "/usr/local/bin:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
