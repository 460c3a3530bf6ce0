"""`sanctuary-api client documents add|list|remove` and `client trusted-only`: a partner app's trusted documents."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.roles import app_ceiling
from api.cli_commands import CliError, connect, load_settings, open_database, require_head, run_db
from api.db import session_factory
from api.models import OAuthClient, Organization
from api.schema.engine.request_body import document_key
from api.schema.engine.trusted import ceiling_schema, check_manifest
from api.services.network import trusted_documents
from api.services.network.trusted_documents import NewDocument, document_id
from api.services.shared.audit import operator_event
from api.services.shared.errors import UserFacingError
from api.settings import Settings

T = TypeVar("T")
MAX_FILE_BYTES = 10_000_000


def add_document_commands(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Register `client documents ...` and `client trusted-only` under `client`."""
    documents = actions.add_parser("documents", help="the documents (operations) a partner app may send by id")
    verbs = documents.add_subparsers(dest="verb", required=True, metavar="ACTION", parser_class=type(common))
    add = verbs.add_parser("add", parents=[common], help="register a manifest ({id: text}, codegen or Relay)")
    add.add_argument("--client-id", required=True, help="the app's client id")
    add.add_argument("file", type=Path, help="persisted-documents.json / persisted_queries.json")
    add.set_defaults(handler=documents_add_command)
    listing = verbs.add_parser("list", parents=[common], help="list an app's documents: id and operation names")
    listing.add_argument("--client-id", required=True, help="the app's client id")
    listing.set_defaults(handler=documents_list_command)
    remove = verbs.add_parser("remove", parents=[common], help="remove documents of an app by id")
    remove.add_argument("--client-id", required=True, help="the app's client id")
    remove.add_argument("ids", nargs="+", metavar="ID", help="sha256:<hex> (or hex)")
    remove.set_defaults(handler=documents_remove_command)
    only = actions.add_parser("trusted-only", parents=[common], help="whether an app sends only its documents")
    only.add_argument("--client-id", required=True, help="the app's client id")
    only.add_argument("state", choices=("on", "off"), help="on: only registered documents; off: any document")
    only.set_defaults(handler=trusted_only_command)


def documents_add_command(args: argparse.Namespace) -> int:
    """Check every document of the manifest against the app's role ceiling; store them all, or none."""
    try:
        if args.file.stat().st_size > MAX_FILE_BYTES:
            raise CliError(f"{args.file} is over {MAX_FILE_BYTES} bytes", code=2)
        manifest = orjson.loads(args.file.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        raise CliError(f"{args.file} is not a readable JSON file", code=2) from None

    async def add(session: AsyncSession, app: OAuthClient, kind: Any, settings: Settings) -> list[str]:
        schema = ceiling_schema(app_ceiling(app.max_roles, kind))
        stored: list[str] = []
        items = list(manifest.items()) if isinstance(manifest, dict) else [("", manifest)]
        for start in range(0, max(len(items), 1), 200):  # the mutation's size, one part at a time
            checked, refused = check_manifest(schema, dict(items[start : start + 200]), settings.graphql_limits)
            if refused:
                lines = "\n".join(f"  {r.field}: {r.code}: {r.message}" for r in refused)
                raise CliError(f"nothing was stored; refused:\n{lines}", code=2)
            new = [NewDocument(c.key, c.text, c.operation_names) for c in checked]
            stored += await trusted_documents.add_documents(session, app, new, None)
        session.add(operator_event(app.organization_id, "client documents add", [app.id]))
        return stored

    stored = _run(args, add)
    print(f"{len(stored)} documents registered for {args.client_id}.")
    return 0


def documents_list_command(args: argparse.Namespace) -> int:
    """Print each document's id and operation names, one a line."""

    async def listing(session: AsyncSession, app: OAuthClient, _kind: Any, _settings: Settings) -> list[str]:
        rows = await trusted_documents.list_documents(session, app)
        return [f"{document_id(r.document_hash)}\t{','.join(r.operation_names) or '-'}" for r in rows]

    for line in _run(args, listing):
        print(line)
    return 0


def documents_remove_command(args: argparse.Namespace) -> int:
    """Remove documents by id; requests naming them fail from then on."""
    keys = [document_key(value) for value in args.ids]
    if None in keys:
        raise CliError("an id is sha256:<hex> (or 64 hex digits)", code=2)

    async def remove(session: AsyncSession, app: OAuthClient, _kind: Any, _settings: Settings) -> int:
        removed = await trusted_documents.remove_documents(session, app, [k for k in keys if k])
        session.add(operator_event(app.organization_id, "client documents remove", [app.id]))
        return removed

    print(f"{_run(args, remove)} documents removed from {args.client_id}.")
    return 0


def trusted_only_command(args: argparse.Namespace) -> int:
    """Switch "trusted documents only" for an app."""

    async def switch(session: AsyncSession, app: OAuthClient, _kind: Any, _settings: Settings) -> bool:
        await trusted_documents.set_trusted_only(session, app, args.state == "on")
        session.add(operator_event(app.organization_id, "client trusted-only", [app.id]))
        return app.trusted_documents_only

    only = _run(args, switch)
    print(f"{args.client_id} sends {'only its registered documents' if only else 'any document'}.")
    return 0


def _run(args: argparse.Namespace, action: Callable[[AsyncSession, OAuthClient, Any, Settings], Awaitable[T]]) -> T:
    """Run ``action`` on the app named by ``--client-id`` in one transaction, committed when it succeeds."""
    settings = load_settings(args)

    async def run(url: str) -> T:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            async with session_factory(engine)() as session:
                row = (
                    await session.execute(
                        select(OAuthClient, Organization.kind)
                        .join(Organization, Organization.id == OAuthClient.organization_id)
                        .where(OAuthClient.client_id == args.client_id)
                    )
                ).one_or_none()
                if row is None:
                    raise CliError(f"no partner app with client id {args.client_id!r}", code=2)
                try:
                    result = await action(session, row[0], row[1], settings)
                except UserFacingError as error:
                    raise CliError(error.message, code=2) from None
                await session.commit()
                return result

    with open_database(settings) as (url, _embedded):
        return run_db(run(url), url)
