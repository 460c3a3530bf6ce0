"""The `sanctuary-api` command, run as a real subprocess against real databases."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import IO

import httpx
import orjson
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from api.auth.roles import ROLE_KINDS
from api.auth.tokens import viewer_for_personal_token
from api.db import create_engine, session_factory
from api.embedded import is_running
from api.migrate import alembic_config
from api.models.enums import OrganizationKind, Role
from tests import factories
from tests.commands import run_command
from tests.database import fresh_database

CLI = [sys.executable, "-m", "api.cli"]
TOKEN_LINE = re.compile(r"^\s+(\S+)\s+(snt_pat_\S+)\s*$", re.MULTILINE)


def _env(**extra: str) -> dict[str, str]:
    """The test's environment without any configured database or key, plus ``extra``."""
    removed = {"DATABASE_URL", "SANCTUARY_DATABASE_URL", "SANCTUARY_MASTER_KEY", "SANCTUARY_KEY_FILE"}
    return {**{k: v for k, v in os.environ.items() if k not in removed}, **extra}


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    """`sanctuary-api ARGS` in a process of its own (tests/commands.py): exit code, stdout, stderr."""
    return await run_command(*args, env=env, within_s=60)


@pytest.fixture(scope="module")
async def migrated(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """A fresh database migrated by `sanctuary-api migrate`, and the environment pointing at it."""
    async with fresh_database(server_url) as url:
        env = _env(DATABASE_URL=url, SANCTUARY_DATA_DIR=str(tmp_path_factory.mktemp("cli-data")))
        code, out, err = await _cli("migrate", env=env)
        assert code == 0, err
        assert "at head" in out
        yield url, env


async def test_migrate_brings_a_fresh_database_to_head(migrated: tuple[str, dict[str, str]]) -> None:
    url, _ = migrated
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            versions = set((await connection.scalars(text("SELECT version_num FROM alembic_version"))).all())
    finally:
        await engine.dispose()
    assert versions == set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def test_token_create_for_an_unknown_member_exits_2(migrated: tuple[str, dict[str, str]]) -> None:
    _url, env = migrated
    code, out, err = await _cli("token", "create", "--member", "nobody@example.test", env=env)
    assert code == 2
    assert out == ""
    assert err.strip() == "sanctuary-api: error: no member with email 'nobody@example.test'"


async def test_a_bad_duration_exits_2_with_one_line() -> None:
    code, _out, err = await _cli("token", "create", "--member", "a@example.test", "--expires", "3x", env=_env())
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "invalid duration '3x'" in err


async def test_no_database_is_one_line_without_traceback() -> None:
    code, _out, err = await _cli("migrate", env=_env(DATABASE_URL="postgresql://postgres@127.0.0.1:1/x"))
    assert code == 1
    assert err.startswith("sanctuary-api: error: database error (postgresql://postgres@127.0.0.1:1/x)")
    assert "Traceback" not in err


@pytest.mark.parametrize("url", ["not a url", "mysql://root:hunter2-secret@127.0.0.1/x", "sqlite:///var/x.db"])
@pytest.mark.parametrize("command", [["migrate"], ["serve", "--port", "0"], ["purge"], ["keys", "rotate"]])
async def test_a_database_url_that_is_not_postgresql_is_one_line_and_exit_2(url: str, command: list[str]) -> None:
    code, _out, err = await _cli(*command, env=_env(DATABASE_URL=url))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("sanctuary-api: error: invalid configuration: DATABASE_URL: not a")
    assert "Traceback" not in err
    assert url not in err  # never the URL itself (it may hold a password)
    assert "hunter2" not in err


async def test_token_create_then_revoke(migrated: tuple[str, dict[str, str]]) -> None:
    url, env = migrated
    engine = create_engine(url, pool_size=1)
    sessions = session_factory(engine)
    try:
        async with sessions() as session:
            org = await factories.organization(session, OrganizationKind.NETWORK_HUB)
            member = await factories.member(session, org, Role.NETWORK_COORDINATOR)
            await session.commit()
        code, secret, err = await _cli("token", "create", "--member", member.email, "--expires", "12h", env=env)
        assert code == 0, err
        secret = secret.strip()
        async with sessions() as session:
            assert (await viewer_for_personal_token(session, secret)) is not None
        token_id = re.search(r"Token ([0-9a-f-]{36})", err)
        assert token_id is not None
        code, _out, err = await _cli("token", "revoke", "--id", token_id.group(1), env=env)
        assert code == 0, err
        async with sessions() as session:
            assert (await viewer_for_personal_token(session, secret)) is None
    finally:
        await engine.dispose()


async def test_serve_refuses_a_database_that_is_not_at_head(server_url: str, tmp_path: Path) -> None:
    async with fresh_database(server_url) as url:
        env = _env(DATABASE_URL=url, SANCTUARY_DATA_DIR=str(tmp_path))
        code, _out, err = await _cli("serve", "--port", "0", env=env)
    assert code == 1
    assert "sanctuary-api migrate" in err
    assert "Traceback" not in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, f"serve exited early:\n{log.read_text()}"
        try:
            if httpx.get(f"{base}/healthz").status_code == 200 and httpx.get(f"{base}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"serve did not become ready:\n{log.read_text()}")


def _serve_once(data_dir: Path, out: IO[bytes], err_path: Path, token: str | None) -> None:
    """Start `serve --demo` on the embedded database, query it, stop it with SIGINT."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with err_path.open("wb") as err:
        process = subprocess.Popen(  # noqa: S603
            [*CLI, "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir)],
            env=_env(),
            stdout=out,
            stderr=err,
        )
    try:
        _wait_until_ready(process, base, err_path)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == {
            "data": {"__typename": "Query"},
            "extensions": {"cost": {"requested": 0, "actual": 0}},
        }
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0, err_path.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        _stop_leftover_postgres(data_dir)


def _stop_leftover_postgres(data_dir: Path) -> None:
    pid_file = data_dir / "pgdata" / "postmaster.pid"
    if is_running(data_dir):
        os.kill(int(pid_file.read_text().splitlines()[0]), signal.SIGINT)


def test_serve_demo_on_the_embedded_database_starts_stops_and_restarts(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first_out, second_out = tmp_path / "first.out", tmp_path / "second.out"
    with first_out.open("wb") as out:
        _serve_once(data_dir, out, tmp_path / "first.err", token=None)
    assert not is_running(data_dir)
    assert (data_dir / "master.key").stat().st_mode & 0o777 == 0o600  # created on first start
    master_key = (data_dir / "master.key").read_text()
    banner = first_out.read_text()
    assert f"Key-encryption key: {data_dir / 'master.key'}" in banner  # and it says where it is
    assert master_key.strip() not in banner + (tmp_path / "first.err").read_text()
    assert "http://127.0.0.1:" in banner
    assert '{"Authorization": "Bearer <token>"}' in banner
    tokens = dict(TOKEN_LINE.findall(banner))
    assert tokens, banner
    assert "snt_pat_" not in (tmp_path / "first.err").read_text()  # tokens only in the banner

    with second_out.open("wb") as out:  # same data dir: the data and the tokens are still there
        _serve_once(data_dir, out, tmp_path / "second.err", token=next(iter(tokens.values())))
    assert not is_running(data_dir)
    again = second_out.read_text()
    assert (data_dir / "master.key").read_text() == master_key  # the second start reuses it
    assert "snt_pat_" not in again
    assert re.search(r"sanctuary-api token create --member \S+@\S+", again), again


async def test_client_create_prints_a_secret_that_gets_a_token_and_disable_stops_it(
    migrated: tuple[str, dict[str, str]],
) -> None:
    from api.app import configure_state, create_app
    from api.crypto import sealer_from_settings
    from api.models import Organization, Region
    from api.models.enums import OrganizationKind
    from api.settings import Settings

    url, env = migrated
    engine = create_engine(url, pool_size=2)
    async with session_factory(engine)() as session:
        region = Region(name="Alder County", code="alder-cli")
        session.add(region)
        await session.flush()
        session.add(Organization(name="Riverside Legal Aid", kind=OrganizationKind.LEGAL_AID, region_id=region.id))
        await session.commit()
    code, secret, err = await _cli("client", "create", "--org", "Riverside Legal Aid", "--max-role", "legal_advocate",
                                   env=env)  # fmt: skip
    assert code == 0, err
    client_id = err.split("client_id: ")[1].split()[0]
    settings = Settings(database_url=url, data_dir=Path(env["SANCTUARY_DATA_DIR"]))
    sealer = sealer_from_settings(None, settings.resolved_key_file)
    app = create_app(settings, engine=engine, sealer=sealer)
    configure_state(app, engine=engine, sessionmaker=session_factory(engine), sealer=sealer, settings=settings)
    grant, auth = {"grant_type": "client_credentials"}, (client_id, secret.strip())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.post("/oauth/token", data=grant, auth=auth)).status_code == 200
        assert (await _cli("client", "disable", "--client-id", client_id, env=env))[0] == 0
        assert (await client.post("/oauth/token", data=grant, auth=auth)).status_code == 401
    code, _out, err = await _cli("client", "create", "--org", "Nobody", "--max-role", "organizer", env=env)
    assert (code, err.count("\n")) == (2, 1)
    await engine.dispose()


async def _organizations(url: str, *kinds: OrganizationKind) -> dict[OrganizationKind, str]:
    """One new organization of each kind, committed; their names."""
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            names = {kind: (await factories.organization(session, kind)).name for kind in kinds}
            await session.commit()
    finally:
        await engine.dispose()
    return names


async def _scalar(url: str, statement: str, **values: object) -> object:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return (await connection.execute(text(statement), values)).scalar()
    finally:
        await engine.dispose()


# Runs `sanctuary-api` main() once per argument list inside one process (one interpreter start for 27 commands).
_DRIVER = """
import contextlib, io, json, sys
from api.cli import main
for argv in json.loads(sys.stdin.read()):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    print(json.dumps([code, err.getvalue()]))
"""


async def test_client_create_walks_every_role_as_a_ceiling(migrated: tuple[str, dict[str, str]]) -> None:
    url, env = migrated
    names = await _organizations(url, *OrganizationKind)
    fits = {kind: [role for role in Role if kind in ROLE_KINDS[role]] for kind in OrganizationKind}
    ceilings = [(kind, [role]) for kind in OrganizationKind for role in Role if role not in fits[kind]]
    ceilings += [(kind, fits[kind]) for kind in OrganizationKind]
    argvs = [
        ["client", "create", "--org", names[kind], *(a for r in roles for a in ("--max-role", r.value.lower()))]
        for kind, roles in ceilings
    ]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _DRIVER, env=env, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(orjson.dumps(argvs)), 120)
    results = [orjson.loads(line) for line in out.decode().splitlines()]
    assert len(results) == len(ceilings)
    for (kind, roles), (code, err) in zip(ceilings, results, strict=True):
        if roles == fits[kind]:
            assert code == 0, (kind, err)
        else:
            assert (code, err.strip()) == (2, REFUSED), (kind, roles)
    for kind, name in names.items():  # only the fitting ceiling was registered, with every fitting role
        registered = await _scalar(url, "SELECT array_agg(array_to_string(c.max_roles, ',')) FROM oauth_client c "
                                   "JOIN organization o ON o.id = c.organization_id WHERE o.name = :name", name=name)  # fmt: skip
        assert registered == [",".join(sorted(role.value for role in fits[kind]))]


REFUSED = "sanctuary-api: error: a role of the ceiling cannot be granted to an app of this organization"


async def test_token_create_by_the_operator_is_audited_without_the_secret(
    migrated: tuple[str, dict[str, str]],
) -> None:
    url, env = migrated
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            org = await factories.organization(session, OrganizationKind.CONGREGATION)
            member = await factories.member(session, org, Role.ORG_ADMIN)
            await session.commit()
    finally:
        await engine.dispose()
    code, secret, err = await _cli("token", "create", "--member", member.email, env=env)
    assert code == 0, err
    event = await _scalar(
        url, "SELECT row_to_json(a)::text FROM audit_event a WHERE :member = ANY (a.record_ids)", member=member.id
    )
    assert isinstance(event, str)
    assert '"actor_member_id":null' in event
    assert '"actor_client_id":null' in event
    assert '"operation_name":"sanctuary-api token create"' in event
    assert '"outcome":"ALLOWED"' in event
    assert secret.strip() not in event
    minted_by = await _scalar(url, "SELECT minted_by FROM personal_access_token WHERE member_id = :m", m=member.id)
    assert minted_by == "OPERATOR"


async def test_member_invite_by_the_operator_prints_the_link_once_and_is_audited_without_it(
    migrated: tuple[str, dict[str, str]],
) -> None:
    url, env = migrated
    engine = create_engine(url, pool_size=1)
    try:
        async with session_factory(engine)() as session:
            org = await factories.organization(session, OrganizationKind.CONGREGATION)
            member = await factories.member(session, org, Role.ORG_ADMIN)
            await session.commit()
    finally:
        await engine.dispose()
    code, link, err = await _cli("member", "invite", "--member", member.email, "--valid", "2h", env=env)
    assert code == 0, err
    assert "/signin/invitation/sninv_" in link
    assert link.strip() not in err
    event = await _scalar(
        url, "SELECT row_to_json(a)::text FROM audit_event a WHERE :member = ANY (a.record_ids)", member=member.id
    )
    assert isinstance(event, str)
    assert '"operation_name":"sanctuary-api member invite"' in event
    assert link.strip().rsplit("/", 1)[1] not in event
    hours = await _scalar(
        url, "SELECT round(extract(epoch FROM expires_at - created_at) / 3600) FROM member_invitation WHERE member_id = :m",
        m=member.id,
    )  # fmt: skip
    assert hours == 2
    code, _out, err = await _cli("member", "invite", "--member", "nobody@example.test", env=env)
    assert code == 2


async def test_client_create_registers_a_public_app_with_redirect_uris_and_grants(
    migrated: tuple[str, dict[str, str]],
) -> None:
    url, env = migrated
    name = (await _organizations(url, OrganizationKind.LEGAL_AID))[OrganizationKind.LEGAL_AID]
    base = ("client", "create", "--org", name, "--max-role", "legal_advocate")
    code, out, err = await _cli(*base, "--public", "--grant", "authorization_code", "--grant", "device_code",
                                "--redirect-uri", "https://app.example/cb", "--redirect-uri",
                                "http://127.0.0.1:5173/cb", env=env)  # fmt: skip
    assert code == 0, err
    client_id = out.strip()
    assert client_id.startswith("snt_client_")
    row = await _scalar(
        url, "SELECT array_to_string(redirect_uris, ' ') || '|' || public || '|' || array_to_string(grant_types, ' ') "
        "FROM oauth_client WHERE client_id = :id", id=client_id,
    )  # fmt: skip
    assert row == "https://app.example/cb http://127.0.0.1:5173/cb|true|authorization_code device_code"
    for wrong in (
        ("--grant", "authorization_code", "--redirect-uri", "http://app.example/cb"),  # http off the loopback
        ("--grant", "authorization_code", "--redirect-uri", "https://app.example/cb#x"),  # a fragment
        ("--grant", "authorization_code"),  # no redirect URI
        ("--public",),  # a public app with client credentials
    ):
        code, out, err = await _cli(*base, *wrong, env=env)
        assert (code, out, err.count("\n")) == (2, "", 1), wrong


async def test_serve_demo_is_refused_in_production_before_anything_starts() -> None:
    code, _out, err = await _cli("serve", "--demo", "--port", "0", env=_env(SANCTUARY_ENVIRONMENT="production"))
    assert code == 2
    assert err.strip().startswith(
        "sanctuary-api: error: refusing to start in production: demo data and the demo sign-in"
    )
