"""`sanctuary-api client create|disable`: partner apps (OAuth 2.0 clients) of an organization."""

from __future__ import annotations

import argparse
import sys
import uuid
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, or_, select, update

from api.auth.clients import GRANTS, SCOPES, ClientRegistrationError, create_client
from api.cli_commands import CliError, connect, load_settings, open_database, require_head, run_db
from api.db import session_factory
from api.models import OAuthClient, Organization
from api.models.enums import Role
from api.services.shared.audit import operator_event


def add_client_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Register `client create` and `client disable`."""
    client = commands.add_parser("client", help="partner apps (OAuth 2.0 clients)")
    actions = client.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(common))
    create = actions.add_parser("create", parents=[common], help="register a partner app; prints its secret once")
    create.add_argument("--org", required=True, help="the organization (its name or id)")
    create.add_argument("--name", default="partner app", help="a label for the app")
    create.add_argument("--scopes", default="read", help=f"comma-separated, among: {', '.join(SCOPES)} (read)")
    create.add_argument(
        "--max-role", action="append", required=True, metavar="ROLE",
        help=f"a role the app may act with (repeat for several): {', '.join(r.value.lower() for r in Role)}",
    )  # fmt: skip
    create.add_argument(
        "--grant", action="append", choices=GRANTS, metavar="GRANT",
        help=f"a grant the app may use (repeat for several): {', '.join(GRANTS)} (client_credentials)",
    )  # fmt: skip
    create.add_argument(
        "--redirect-uri", action="append", metavar="URI",
        help="where people come back after signing in (authorization_code; repeat; exact match): https, or http on "
        "localhost/127.0.0.1",
    )  # fmt: skip
    create.add_argument(
        "--public", action="store_true", help="a public app (single-page, native, script): no secret, PKCE only"
    )
    create.set_defaults(handler=client_create_command)
    disable = actions.add_parser("disable", parents=[common], help="disable a partner app; its tokens stop working")
    disable.add_argument("--client-id", required=True, help="the app's client id")
    disable.set_defaults(handler=client_disable_command)


def client_create_command(args: argparse.Namespace) -> int:
    """Register a partner app of an organization and print its client id and secret (once)."""
    settings = load_settings(args)
    scopes = [s.strip() for s in args.scopes.split(",") if s.strip()]

    async def create(url: str) -> tuple[str, str]:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            async with session_factory(engine)() as session:
                org = await session.scalar(select(Organization).where(_matches(args.org)))
                if org is None:
                    raise CliError(f"no organization named {args.org!r}", code=2)
                try:
                    row, secret = await create_client(
                        session, org, name=args.name, scopes=scopes, max_roles=args.max_role, grants=args.grant,
                        redirect_uris=args.redirect_uri, public=args.public,
                    )  # fmt: skip
                except ClientRegistrationError as error:
                    raise CliError(str(error), code=2) from None
                session.add(operator_event(org.id, "client create", [row.id]))
                await session.commit()
                return row.client_id, secret

    with open_database(settings) as (url, _embedded):
        client_id, secret = run_db(create(url), url)
    print(f"Partner app registered. client_id: {client_id}", file=sys.stderr)
    if args.public:  # no secret to show: the client id follows on stdout
        print("A public app holds no secret: it proves itself with PKCE.", file=sys.stderr)
        print(client_id)
        return 0
    print("The client secret follows on stdout; it is shown once and stored only as a hash.", file=sys.stderr)
    print(secret)
    return 0


def client_disable_command(args: argparse.Namespace) -> int:
    """Disable a partner app; tokens it holds stop working on the next request."""
    settings = load_settings(args)

    async def disable(url: str) -> int:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            async with session_factory(engine)() as session:
                result = await session.execute(
                    update(OAuthClient)
                    .where(OAuthClient.client_id == args.client_id, OAuthClient.disabled_at.is_(None))
                    .values(disabled_at=datetime.now(UTC))
                )
                await session.commit()
                return int(getattr(result, "rowcount", 0))

    with open_database(settings) as (url, _embedded):
        changed = run_db(disable(url), url)
    if not changed:
        raise CliError(f"no enabled partner app with client id {args.client_id!r}", code=2)
    print(f"Partner app {args.client_id} disabled.")
    return 0


def _matches(reference: str) -> ColumnElement[bool]:
    try:
        return or_(Organization.id == uuid.UUID(reference), Organization.name == reference)
    except ValueError:
        return Organization.name == reference
