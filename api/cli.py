"""The `sanctuary-api` command: serve, migrate, seed, purge, and manage tokens, partner apps and keys."""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from api.cli_clients import add_client_commands
from api.cli_commands import (
    CliError,
    migrate_command,
    parse_duration,
    seed_command,
    token_create_command,
    token_revoke_command,
)
from api.cli_keys import add_key_commands
from api.cli_members import add_member_commands

Command = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _serve(args: argparse.Namespace) -> int:
    from api.cli_serve import serve_command  # imports uvicorn and the app only when serving

    return serve_command(args)


def _purge(args: argparse.Namespace) -> int:
    from api.cli_purge import purge_command

    return purge_command(args)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a token id: {text!r}") from None


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a positive number: {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for all subcommands."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        help="embedded database and key file directory (default: $SANCTUARY_DATA_DIR or ~/.local/share/sanctuary-api)",
    )
    parser = _Parser(prog="sanctuary-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    serve = commands.add_parser("serve", parents=[common], help="serve the GraphQL API")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument("--demo", action="store_true", help="seed the demo network if the database is empty")
    serve.add_argument("--migrate", action="store_true", help="apply migrations to DATABASE_URL before serving")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", parents=[common], help="apply database migrations")
    migrate.set_defaults(handler=migrate_command)

    seed = commands.add_parser("seed", parents=[common], help="migrate, then load demo or synthetic data")
    what = seed.add_mutually_exclusive_group(required=True)
    what.add_argument("--demo", action="store_true", help="the demo network, with one token per role")
    what.add_argument("--scale", type=_positive, metavar="N", help="a synthetic network of scale N (benchmarks)")
    seed.add_argument("--tokens-json", type=Path, metavar="PATH", help="also write the demo tokens here (mode 0600)")
    seed.set_defaults(handler=seed_command)

    purge = commands.add_parser("purge", parents=[common], help="apply the retention policies now; prints counts")
    purge.add_argument("--dry-run", action="store_true", help="count what would be removed, remove nothing")
    purge.set_defaults(handler=_purge)

    _add_token_commands(commands, common)
    add_client_commands(commands, common)
    add_key_commands(commands, common)
    add_member_commands(commands, common)
    return parser


def _add_token_commands(commands: argparse._SubParsersAction[_Parser], common: _Parser) -> None:
    token = commands.add_parser("token", help="personal access tokens")
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=_Parser)
    create = actions.add_parser("create", parents=[common], help="create a token for a member; prints it once")
    create.add_argument("--member", required=True, metavar="EMAIL", help="the member's email")
    create.add_argument("--expires", type=parse_duration, default="30d", help="lifetime: 90m, 12h, 30d, 2w (30d)")
    create.add_argument("--name", default="sanctuary-api cli", help="a label for the token")
    create.set_defaults(handler=token_create_command)
    revoke = actions.add_parser("revoke", parents=[common], help="revoke a token by id")
    revoke.add_argument("--id", required=True, type=_uuid, metavar="UUID", help="the token's id")
    revoke.set_defaults(handler=token_revoke_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "seed" and args.tokens_json is not None and not args.demo:
        parser.error("--tokens-json goes with --demo")
    handler: Command = args.handler
    try:
        return handler(args)
    except CliError as error:
        print(f"sanctuary-api: error: {error.message}", file=sys.stderr)
        return error.code


if __name__ == "__main__":
    sys.exit(main())
