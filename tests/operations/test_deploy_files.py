"""The container files hold together without Docker: the image's entrypoint refuses what would lose data,
compose.yaml runs two instances of one image behind the proxy it trusts, deploy/nginx.conf is valid nginx,
and the Dockerfile's final stage is slim, non-root and health-checked. (`docker build` and `docker compose up`
themselves need a Docker daemon and the image registry; see README "Running on several machines".)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from tests.operations.proxy import REPOSITORY, free_port, nginx_binary

REQUIRED = os.environ.get("SANCTUARY_REQUIRE_PROXY") == "1"
ENTRYPOINT = REPOSITORY / "deploy" / "docker-entrypoint.sh"


def _entrypoint(*args: str, **environment: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith("SANCTUARY_") and k != "DATABASE_URL"}
    env = keep | {"PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"} | environment
    return subprocess.run(["/bin/sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=60)  # noqa: S603


def test_the_entrypoint_refuses_to_serve_without_a_database_url_or_a_shared_key() -> None:
    missing_url = _entrypoint("serve", "--host", "0.0.0.0", SANCTUARY_MASTER_KEY="x")  # noqa: S104
    assert missing_url.returncode == 2
    assert "DATABASE_URL is required" in missing_url.stderr
    missing_key = _entrypoint("migrate", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert missing_key.returncode == 2
    assert "key-encryption key" in missing_key.stderr
    generated = _entrypoint("keys", "generate")  # needs neither
    assert generated.returncode == 0, generated.stderr
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}=\n", generated.stdout)


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((REPOSITORY / "compose.yaml").read_text())
    return loaded


def test_compose_runs_two_instances_of_one_image_behind_the_proxy_they_trust() -> None:
    services = _compose()["services"]
    instances = [name for name, service in services.items() if service.get("image") == "sanctuary-api:latest"]
    assert instances == ["migrate", "api-1", "api-2"]
    one, two = services["api-1"], services["api-2"]
    assert one == two  # the same settings, keys and secrets
    assert "command" not in one  # the image's CMD: serve --host 0.0.0.0
    assert services["migrate"]["command"] == ["migrate"]  # migrations run once, before the instances start
    assert one["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    environment = one["environment"]
    assert environment["SANCTUARY_KEY_FILE"].startswith("/run/secrets/")  # the key as a secret, never inline
    assert "SANCTUARY_MASTER_KEY" not in environment
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert environment["SANCTUARY_REDIS_URL"].startswith("redis://")
    proxy = services["proxy"]
    trusted = json.loads(environment["SANCTUARY_RATE_LIMITS"])["trusted_proxies"]
    assert trusted == [proxy["networks"]["backend"]["ipv4_address"]]  # the proxy, and nothing else
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert "./deploy/proxy.conf:/etc/nginx/sanctuary-proxy.conf:ro" in proxy["volumes"]
    upstream = re.findall(r"server (api-\d+):8000", (REPOSITORY / "deploy" / "nginx.conf").read_text())
    assert upstream == ["api-1", "api-2"]


def test_the_nginx_configuration_of_compose_is_valid(tmp_path: Path) -> None:
    nginx = nginx_binary()
    if nginx is None:
        reason = "nginx is not installed (apt-get install -y nginx)"
        if REQUIRED:
            pytest.fail(f"{reason}, and SANCTUARY_REQUIRE_PROXY=1 requires this test", pytrace=False)
        pytest.skip(reason)
    text = (REPOSITORY / "deploy" / "nginx.conf").read_text()
    text = re.sub(r"server api-\d+:8000", lambda _: f"server 127.0.0.1:{free_port()}", text)  # no compose DNS here
    text = text.replace("/tmp/", f"{tmp_path}/")  # noqa: S108 (before the repository's path: it may be under /tmp)
    text = text.replace("/etc/nginx/sanctuary-proxy.conf", str(REPOSITORY / "deploy" / "proxy.conf"))
    text = text.replace("listen 8080", f"listen 127.0.0.1:{free_port()}")
    (tmp_path / "nginx.conf").write_text(text)
    command = [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(tmp_path / "nginx.conf")]
    checked = subprocess.run(command, capture_output=True, text=True, timeout=30)  # noqa: S603
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_the_final_image_is_slim_non_root_and_health_checked() -> None:
    stages = re.split(r"(?m)^FROM ", (REPOSITORY / "Dockerfile").read_text())
    build, final = stages[-2], stages[-1]
    assert " AS build" in build  # the wheels are built in their own stage
    assert "pip wheel" in build
    assert final.startswith("${PYTHON_IMAGE}")
    assert re.search(r"(?m)^ARG PYTHON_IMAGE=python:3\.\d+-slim", stages[0])
    assert not re.search(r"apt-get|gcc|build-essential", final)  # no compilers in the image that runs
    assert "--no-index --find-links=/wheels sanctuary-api" in final  # the package installed, not the source tree
    assert re.search(r"(?m)^USER 10001:10001$", final)
    assert "http://127.0.0.1:8000/healthz" in final.split("HEALTHCHECK", 1)[1]
    assert re.search(r'(?m)^CMD \["serve", "--host", "0\.0\.0\.0", "--port", "8000"\]$', final)
    assert 'ENTRYPOINT ["docker-entrypoint.sh"]' in final
