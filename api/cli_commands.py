"""The `migrate`, `seed` and `token` commands, and what every command shares."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator, Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import orjson
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from pydantic import ValidationError
from sqlalchemy import Connection, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from api import migrate
from api.crypto import Sealer, sealer_from_settings
from api.db import engine_from_settings, session_factory
from api.embedded import EmbeddedDatabaseError, embedded_database
from api.logs import configure_logging
from api.settings import Settings

T = TypeVar("T")
DATABASE_ERRORS = (OSError, DBAPIError)


class CliError(Exception):
    """An expected failure: reported as one line on stderr, with an exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def load_settings(args: argparse.Namespace) -> Settings:
    """Settings from the environment, with ``--data-dir`` taking precedence; logging configured."""
    try:
        settings = Settings()
    except ValidationError as exc:
        # the messages only, never the input (a database URL may hold a password)
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False)
        )
        raise CliError(f"invalid configuration: {problems}", code=2) from None
    if args.data_dir is not None:
        settings = settings.model_copy(update={"data_dir": args.data_dir.expanduser()})
    configure_logging(settings)
    return settings


def refuse_in_production(settings: Settings, *, demo: bool = False, listen_host: str | None = None) -> None:
    """Exit (code 2, one line) when the production profile refuses these settings (api.observability.profile)."""
    from api.observability.profile import refusals

    found = refusals(settings, demo=demo, listen_host=listen_host)
    if found:
        raise CliError(f"refusing to start in production: {'; '.join(found)}", code=2)


def load_sealer(settings: Settings) -> Sealer:
    """The key-encryption key from SANCTUARY_MASTER_KEY or the key file (created on first use, except in
    production, where it must be given)."""
    from api.observability.profile import is_production

    if is_production(settings) and not settings.master_key and not settings.resolved_key_file.is_file():
        refuse_in_production(settings)
    try:
        return sealer_from_settings(settings.master_key, settings.resolved_key_file)
    except (ValueError, OSError) as exc:
        raise CliError(f"cannot load the key-encryption key: {exc}") from exc


def safe_url(url: str) -> str:
    """A database URL fit for printing (no password)."""
    return make_url(url).render_as_string(hide_password=True)


@contextlib.contextmanager
def open_database(settings: Settings) -> Iterator[tuple[str, bool]]:
    """Yield ``(url, embedded)``: DATABASE_URL, or the embedded server in the data dir (stopped on exit)."""
    if settings.database_url:
        yield settings.database_url, False
        return
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(embedded_database(settings.data_dir))
        except EmbeddedDatabaseError as exc:
            raise CliError(str(exc)) from exc
        yield url, True


def run_db(coroutine: Coroutine[Any, Any, T], url: str) -> T:
    """Run a coroutine that talks to the database; connection failures become one-line errors."""
    try:
        return asyncio.run(coroutine)
    except CommandError as exc:  # alembic: e.g. the database is at a revision this version does not know
        raise CliError(f"migration error ({safe_url(url)}): {exc}") from exc
    except DATABASE_ERRORS as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        first_line = (str(reason).strip().splitlines() or [type(reason).__name__])[0]
        raise CliError(f"database error ({safe_url(url)}): {first_line}") from exc


@contextlib.asynccontextmanager
async def connect(url: str, settings: Settings) -> AsyncIterator[AsyncEngine]:
    """A small engine for one command (maintenance: the configured timeouts, the longer statement timeout)."""
    engine = engine_from_settings(settings, url, maintenance=True, pool_size=2)
    try:
        yield engine
    finally:
        await engine.dispose()


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


async def require_head(engine: AsyncEngine, hint: str) -> None:
    """Refuse to go on unless the database is at the migrations' head revision."""
    async with engine.connect() as connection:
        current = await connection.run_sync(_current_heads)
    head = set(ScriptDirectory.from_config(migrate.alembic_config()).get_heads())
    if current != head:
        state = f"is at revision {', '.join(sorted(current))}" if current else "has no migrations applied"
        raise CliError(f"the database {state}, this version needs revision {', '.join(sorted(head))}: {hint}")


async def seed_demo_tokens(engine: AsyncEngine, sealer: Sealer) -> dict[str, str] | None:
    """Seed the demo network into an empty database; its tokens by role, or None if it held data."""
    from api.seed.demo import seed_demo

    async with session_factory(engine)() as session:
        seeded = await seed_demo(session, sealer)
        await session.commit()
    return None if seeded is None else dict(seeded.tokens)


async def demo_member_email(engine: AsyncEngine) -> str | None:
    """The demo network coordinator's email, when the database holds the demo network."""
    from api.models import Member
    from api.models.enums import Role
    from api.seed.demo import demo_email

    email = demo_email(Role.NETWORK_COORDINATOR)
    async with engine.connect() as connection:
        found = await connection.scalar(select(Member.id).where(Member.email == email))
    return email if found is not None else None


def migrate_command(args: argparse.Namespace) -> int:
    """Apply the migrations to DATABASE_URL or to the embedded database."""
    settings = load_settings(args)

    async def upgrade(url: str) -> None:
        async with connect(url, settings) as engine:
            await migrate.upgrade(engine)
            await require_head(engine, "the upgrade did not reach head")

    with open_database(settings) as (url, _embedded):
        run_db(upgrade(url), url)
    print(f"Migrations applied: {safe_url(url)} is at head.")
    return 0


def seed_command(args: argparse.Namespace) -> int:
    """Migrate, then seed the demo network or a synthetic network of a given scale."""
    settings = load_settings(args)
    if args.demo:
        refuse_in_production(settings, demo=True)
    sealer = load_sealer(settings)
    if not settings.master_key:
        print(f"Key-encryption key: {settings.resolved_key_file}", file=sys.stderr)

    async def demo(url: str) -> dict[str, str] | None:
        async with connect(url, settings) as engine:
            await migrate.upgrade(engine)
            return await seed_demo_tokens(engine, sealer)

    async def scale(url: str) -> object:
        async with connect(url, settings) as engine:
            await migrate.upgrade(engine)
        from api.seed.scale import seed_scale

        return await seed_scale(url, sealer, args.scale)

    with open_database(settings) as (url, _embedded):
        if args.scale is not None:
            print(run_db(scale(url), url))
            return 0
        tokens = run_db(demo(url), url)
    return _report_demo(tokens, args.tokens_json)


def _report_demo(tokens: dict[str, str] | None, tokens_json: Path | None) -> int:
    if tokens is None:
        message = "The database already holds data, so the demo network was not seeded (no new tokens)."
        if tokens_json is not None:
            raise CliError(f"{message} Nothing written to {tokens_json}.")
        print(message + " Mint a token with `sanctuary-api token create --member EMAIL`.")
        return 0
    print("Demo network seeded. Personal access tokens (shown once, stored only as hashes):")
    for role, token in tokens.items():
        print(f"  {role:<28} {token}")
    if tokens_json is not None:
        write_private(tokens_json, orjson.dumps(tokens, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE))
        print(f"Tokens written to {tokens_json} (mode 0600).")
    return 0


def write_private(path: Path, content: bytes) -> None:
    """Write a file only its owner can read (replacing any previous one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)


def token_create_command(args: argparse.Namespace) -> int:
    """Create a personal access token for a member (the operator's bootstrap path, audited) and print it once."""
    from api.auth.tokens import create_personal_token
    from api.models import Member
    from api.services.shared.audit import operator_event

    settings = load_settings(args)

    async def create(url: str) -> tuple[str, str, str]:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            async with session_factory(engine)() as session:
                member = await session.scalar(select(Member).where(Member.email == args.member))
                if member is None:
                    raise CliError(f"no member with email {args.member!r}", code=2)
                try:
                    row, secret = await create_personal_token(session, member, name=args.name, lifetime=args.expires)
                except ValueError as exc:
                    raise CliError(str(exc), code=2) from exc
                session.add(operator_event(member.organization_id, "token create", [row.id, member.id]))
                await session.commit()
                return str(row.id), row.expires_at.isoformat(timespec="seconds"), secret

    with open_database(settings) as (url, _embedded):
        token_id, expires_at, secret = run_db(create(url), url)
    print(f"Token {token_id} for {args.member}, expires {expires_at}.", file=sys.stderr)
    print("The secret follows on stdout; it is shown once and stored only as a hash.", file=sys.stderr)
    print(secret)
    return 0


def token_revoke_command(args: argparse.Namespace) -> int:
    """Revoke a personal access token by id; it stops working on the next request."""
    from api.auth.tokens import revoke_personal_token

    settings = load_settings(args)

    async def revoke(url: str) -> bool:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            async with session_factory(engine)() as session:
                revoked = await revoke_personal_token(session, args.id)
                await session.commit()
                return revoked

    with open_database(settings) as (url, _embedded):
        revoked = run_db(revoke(url), url)
    if not revoked:
        raise CliError(f"no active token with id {args.id}", code=2)
    print(f"Token {args.id} revoked.")
    return 0


def parse_duration(text: str) -> timedelta:
    """``90m``, ``12h``, ``30d`` or ``2w`` as a timedelta (argparse type)."""
    units = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
    number, unit = text.strip()[:-1], text.strip()[-1:].lower()
    if unit not in units or not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(
            f"invalid duration {text!r}: use a positive number and m, h, d or w (e.g. 30d)"
        )
    return timedelta(**{units[unit]: int(number)})
