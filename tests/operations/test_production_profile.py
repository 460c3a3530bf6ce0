"""The production profile: `serve` refuses (one line, exit code 2) demo data, a missing key-encryption key,
the demo sign-in and an insecure public URL; when it starts, every setting is printed with secrets masked."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from sqlalchemy.engine import make_url

from api.crypto import generate_master_key
from api.observability.profile import masked_settings, refusals
from api.settings import Settings
from tests.canaries import canary
from tests.commands import run_command
from tests.database import fresh_database

CLI = [sys.executable, "-m", "api.cli"]
REFUSED = "sanctuary-api: error: refusing to start in production: "


def _env(**extra: str) -> dict[str, str]:
    """The test's environment without any configured database, key or public URL, in production, plus ``extra``."""
    removed = {
        "DATABASE_URL",
        "SANCTUARY_DATABASE_URL",
        "SANCTUARY_MASTER_KEY",
        "SANCTUARY_KEY_FILE",
        "SANCTUARY_PUBLIC_URL",
    }
    kept = {k: v for k, v in os.environ.items() if k not in removed and not k.startswith("OTEL_")}
    return kept | {"SANCTUARY_ENVIRONMENT": "production"} | extra


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`sanctuary-api ARGS` in a process of its own (tests/commands.py): exit code, stdout, stderr."""
    return await run_command(*args, env=env, within_s=60)


@pytest.fixture(scope="module")
async def migrated(server_url: str) -> AsyncIterator[str]:
    """A fresh database at head (migrated by the command, outside production)."""
    async with fresh_database(server_url) as url:
        env = _env(DATABASE_URL=url, SANCTUARY_ENVIRONMENT="development")
        code, _out, err = await _cli("migrate", env=env)
        assert code == 0, err
        yield url


def _assert_refused(code: int, err: str, reason: str) -> None:
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err  # one line: no traceback, no settings printed
    assert lines[0].startswith(REFUSED)
    assert reason in lines[0]


async def test_serve_demo_is_refused(migrated: str, tmp_path: Path) -> None:
    env = _env(DATABASE_URL=migrated, SANCTUARY_MASTER_KEY=generate_master_key(), SANCTUARY_DATA_DIR=str(tmp_path))
    code, _out, err = await _cli("serve", "--demo", "--port", "0", env=env)
    _assert_refused(code, err, "demo data and the demo sign-in are not allowed in production (--demo)")
    code, _out, err = await _cli("seed", "--demo", env=env)
    _assert_refused(code, err, "(--demo)")


async def test_a_missing_key_encryption_key_is_refused_and_never_created(migrated: str, tmp_path: Path) -> None:
    env = _env(DATABASE_URL=migrated, SANCTUARY_DATA_DIR=str(tmp_path))
    code, _out, err = await _cli("serve", "--port", "0", env=env)
    _assert_refused(code, err, "the key-encryption key is missing")
    assert not (tmp_path / "master.key").exists()
    code, _out, err = await _cli("serve", "--port", "0", env=env | {"SANCTUARY_KEY_FILE": str(tmp_path / "none.key")})
    _assert_refused(code, err, "the key-encryption key is missing")
    assert not os.listdir(tmp_path)  # nothing was created


@pytest.mark.parametrize(
    ("public_url", "host"),
    [("http://api.example.org", "127.0.0.1"), ("http://192.0.2.10:8000", "127.0.0.1"), (None, "0.0.0.0")],  # noqa: S104
)
async def test_an_insecure_public_url_is_refused(migrated: str, public_url: str | None, host: str) -> None:
    env = _env(DATABASE_URL=migrated, SANCTUARY_MASTER_KEY=generate_master_key())
    if public_url:
        env["SANCTUARY_PUBLIC_URL"] = public_url
    code, _out, err = await _cli("serve", "--host", host, "--port", "0", env=env)
    _assert_refused(code, err, "SANCTUARY_PUBLIC_URL must be an https:// URL in production")


async def test_a_database_holding_the_demo_network_is_refused(server_url: str, tmp_path: Path) -> None:
    key = generate_master_key()
    async with fresh_database(server_url) as url:
        development = _env(DATABASE_URL=url, SANCTUARY_MASTER_KEY=key, SANCTUARY_ENVIRONMENT="development")
        code, _out, err = await _cli("seed", "--demo", env=development)
        assert code == 0, err
        env = _env(DATABASE_URL=url, SANCTUARY_MASTER_KEY=key, SANCTUARY_PUBLIC_URL="https://api.example.org")
        code, _out, err = await _cli("serve", "--port", "0", env=env)
    _assert_refused(code, err, "the database holds the demo network")


def test_every_refusal_is_said_at_once_and_none_outside_production(tmp_path: Path) -> None:
    settings = Settings(environment="production", data_dir=tmp_path, public_url="http://api.example.org")
    found = refusals(settings, demo=True)
    assert len(found) == 3
    assert refusals(settings.model_copy(update={"environment": "development"}), demo=True) == []
    good = settings.model_copy(update={"public_url": "https://api.example.org", "master_key": generate_master_key()})
    assert refusals(good) == []
    assert refusals(good.model_copy(update={"public_url": "http://localhost:8000"})) == []


class _WithDemoSignIn(Settings):
    """Settings as they will be once GraphiQL's one-click demo sign-in has its flag."""

    graphiql_demo_signin: bool = False


def test_any_demo_setting_switched_on_is_refused(tmp_path: Path) -> None:
    key = generate_master_key()
    off = _WithDemoSignIn(environment="production", data_dir=tmp_path, master_key=key, public_url="https://a.example")
    assert refusals(off) == []
    (found,) = refusals(off.model_copy(update={"graphiql_demo_signin": True}))
    assert "SANCTUARY_GRAPHIQL_DEMO_SIGNIN" in found


class _WithSecrets(Settings):
    """Settings with the kinds of secrets other parts add (OIDC client secrets, webhook signing keys)."""

    oidc_client_secret: str | None = None
    webhook_signing_key: str | None = None


def test_printed_settings_mask_every_secret(tmp_path: Path) -> None:
    secrets = {name: canary(f"{name}-{os.urandom(8).hex()}") for name in ("db", "redis", "oidc", "jwk", "hook", "q")}
    master = canary(generate_master_key())
    issuers = [{"issuer": "https://id.example", "audience": "api", "client_secret": secrets["oidc"],
                "jwks": {"keys": [{"kty": "oct", "k": secrets["jwk"]}]}}]  # fmt: skip
    settings = _WithSecrets(
        data_dir=tmp_path,
        master_key=master,
        database_url=f"postgresql://sanctuary:{secrets['db']}@db.internal:5432/sanctuary",
        redis_url=f"redis://:{secrets['redis']}@cache.internal:6379/0?password={secrets['q']}",
        oidc_issuers=orjson.dumps(issuers).decode(),
        oidc_client_secret=secrets["oidc"],
        webhook_signing_key=secrets["hook"],
    )
    printed = orjson.dumps(masked_settings(settings)).decode()
    assert master not in printed
    assert not [name for name, value in secrets.items() if value in printed]
    shown = masked_settings(settings)
    assert shown["database_url"] == "postgresql://sanctuary:***@db.internal:5432/sanctuary"
    assert shown["redis_url"] == "redis://:***@cache.internal:6379/0?password=***"
    assert shown["master_key"] == "***"
    assert shown["oidc_issuers"][0]["issuer"] == "https://id.example"
    assert shown["rate_limits"]["member"]["points"] > 0
    assert shown["access_token_minutes"] == settings.access_token_minutes  # a number, not a secret
    assert set(shown) == set(type(settings).model_fields)


def test_serve_in_production_starts_serves_metrics_and_prints_its_settings_masked(
    migrated: str, tmp_path: Path
) -> None:
    password, key = canary(f"pw{os.urandom(8).hex()}"), canary(generate_master_key())
    url = make_url(migrated).set(password=password).render_as_string(hide_password=False)
    port, metrics_port = _free_port(), _free_port()
    env = _env(
        DATABASE_URL=url, SANCTUARY_MASTER_KEY=key, SANCTUARY_PUBLIC_URL="https://api.example.org",
        SANCTUARY_METRICS_PORT=str(metrics_port),
    )  # fmt: skip
    err_path = tmp_path / "serve.err"
    with err_path.open("wb") as err:
        process = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=err)  # noqa: S603
    try:
        _wait_until_ready(process, f"http://127.0.0.1:{port}", err_path)
        httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "query Ping { __typename }"})
        scraped = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text
        assert 'sanctuary_graphql_requests_total{operation="other",outcome="ok"} 1.0' in scraped
        assert 'sanctuary_db_pool_connections{pool="service",state="size"}' in scraped
        assert httpx.get(f"http://127.0.0.1:{port}/metrics").status_code == 404  # not on the API's port
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=20)
        assert process.returncode == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    err_text = err_path.read_text()
    assert password not in err_text + out.decode()
    assert key not in err_text + out.decode()
    lines = [orjson.loads(line) for line in err_text.splitlines() if line.startswith("{")]
    (printed,) = [line["settings"] for line in lines if line["event"] == "settings"]
    assert printed["environment"] == "production"
    assert printed["master_key"] == "***"
    assert ":***@" in printed["database_url"]
    assert printed["public_url"] == "https://api.example.org"
    assert printed["metrics_port"] == metrics_port


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited early:\n{log.read_text()}"
        try:
            if httpx.get(f"{base}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not become ready:\n{log.read_text()}")
