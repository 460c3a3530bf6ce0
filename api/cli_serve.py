"""The `serve` command: database (embedded or configured), migrations, optional demo data, banner, uvicorn."""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import sys

import uvicorn
from starlette.applications import Starlette

from api import migrate
from api.cli_commands import (
    CliError,
    connect,
    demo_member_email,
    load_sealer,
    load_settings,
    open_database,
    require_head,
    run_db,
    safe_url,
    seed_demo_tokens,
)
from api.crypto import Sealer
from api.embedded import pgdata_dir
from api.settings import Settings


def serve_command(args: argparse.Namespace) -> int:
    """Serve the API until Ctrl-C (or SIGTERM), then stop uvicorn and the embedded database cleanly."""
    settings = load_settings(args)
    sealer = load_sealer(settings)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops like Ctrl-C
    try:
        with _listen(args.host, args.port) as sock, open_database(settings) as (url, embedded):
            settings = settings.model_copy(update={"database_url": url})
            tokens, member = run_db(
                _prepare(url, settings, sealer, upgrade=embedded or args.migrate, demo=args.demo), url
            )
            port = sock.getsockname()[1]
            if "public_url" not in settings.model_fields_set:  # tokens name the address actually served
                host = f"[{args.host}]" if ":" in args.host else args.host
                settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
            app = _build_app(settings, sealer)
            print(banner(settings, args, port=port, embedded=embedded, tokens=tokens, member=member), flush=True)
            asyncio.run(_run(app, sock, settings))
    except KeyboardInterrupt:
        pass  # uvicorn has shut down (or never started); the database was stopped on the way out
    print("Stopped.", file=sys.stderr)
    return 0


def _listen(host: str, port: int) -> socket.socket:
    """Bind the listening socket first, so a busy port fails fast and before the database starts."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


async def _prepare(
    url: str, settings: Settings, sealer: Sealer, *, upgrade: bool, demo: bool
) -> tuple[dict[str, str] | None, str | None]:
    """Migrate if asked, insist on the head revision, seed the demo if asked.

    Returns the new demo tokens (or None) and, when the demo was seeded earlier, a demo member's email.
    """
    async with connect(url, settings) as engine:
        if upgrade:
            await migrate.upgrade(engine)
        await require_head(engine, "run `sanctuary-api migrate`, or start with --migrate")
        if not demo:
            return None, None
        tokens = await seed_demo_tokens(engine, sealer)
        return tokens, None if tokens else await demo_member_email(engine)


def _build_app(settings: Settings, sealer: Sealer) -> Starlette:
    from api.app import create_app

    return create_app(settings, sealer=sealer)


async def _run(app: Starlette, sock: socket.socket, settings: Settings) -> None:
    config = uvicorn.Config(
        app, log_level="info", lifespan="on", log_config=None, server_header=False,
        # WebSocket (subscriptions): no compression (a compressed stream mixing secrets with text others wrote leaks
        # through its length, and each connection's zlib state costs ~100 KiB); frames over the cap refused (1009)
        ws_per_message_deflate=False, ws_max_size=settings.live_max_message_bytes,
    )  # fmt: skip
    await uvicorn.Server(config).serve(sockets=[sock])


def banner(
    settings: Settings,
    args: argparse.Namespace,
    *,
    port: int,
    embedded: bool,
    tokens: dict[str, str] | None,
    member: str | None = None,
) -> str:
    """What a person needs to start: the URL, where data and key live, how to authenticate."""
    host = f"[{args.host}]" if ":" in args.host else args.host
    assert settings.database_url is not None
    database = (
        f"embedded PostgreSQL in {pgdata_dir(settings.data_dir)}" if embedded else safe_url(settings.database_url)
    )
    key = (
        "from SANCTUARY_MASTER_KEY"
        if settings.master_key
        else f"{settings.resolved_key_file} (back it up, apart from the database)"
    )
    graphiql = "  (open it in a browser for GraphiQL)" if settings.graphiql else ""
    lines = [
        "",
        "Sanctuary Network API",
        f"  GraphQL:            http://{host}:{port}/graphql{graphiql}",
        f"  Database:           {database}",
        f"  Key-encryption key: {key}",
        "",
        "Authenticate by adding this in GraphiQL's headers pane (or as an HTTP header):",
        '  {"Authorization": "Bearer <token>"}',
        *_token_lines(args, embedded=embedded, tokens=tokens, member=member),
        "",
        "Press Ctrl-C to stop.",
        "",
    ]
    return "\n".join(lines)


def _token_lines(
    args: argparse.Namespace, *, embedded: bool, tokens: dict[str, str] | None, member: str | None
) -> list[str]:
    if tokens:
        heading = "Demo tokens, one per role (shown only this once; stored only as hashes):"
        return ["", heading, *(f"  {role:<28} {token}" for role, token in tokens.items())]
    data_dir_flag = f" --data-dir {args.data_dir}" if embedded and args.data_dir is not None else ""
    mint = f"sanctuary-api token create --member {member or 'EMAIL'} [--expires 30d]{data_dir_flag}"
    if args.demo:
        already = "The database already holds data, so no demo was seeded; demo tokens are not shown again."
        return ["", already, f"Mint a new token: {mint}"]
    return [f"Mint a token: {mint}"]
