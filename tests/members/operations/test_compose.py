"""docker-compose.yml uses the probes: web is healthy when ready; nothing waits for web's health
(that would deadlock: readiness wants a worker); migrations run once before everything."""

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[3] / "docker-compose.yml"
DOCKERFILE = Path(__file__).resolve().parents[3] / "Dockerfile"


def test_web_health_is_readiness_and_the_image_checks_liveness():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    assert "/healthz" in DOCKERFILE.read_text().split("HEALTHCHECK", 1)[1].split("\n\n")[0]
    assert services["beat"]["healthcheck"] == {"disable": True}


def test_no_service_waits_for_web_and_all_app_services_wait_for_migrate():
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("web", "worker", "gpu-worker", "beat"):
        depends = services[name]["depends_on"]
        assert "web" not in depends, name
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
    assert services["worker"]["environment"]["READYZ_QUEUES"] == "${READYZ_QUEUES:-default}"
    assert services["worker"]["environment"]["CELERY_METRICS_PORT"] == "9808"
