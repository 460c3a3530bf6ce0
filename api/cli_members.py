"""The `member invite` command: the operator's one-time passkey invitation for a member (audited)."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from api.cli_commands import CliError, connect, load_settings, open_database, parse_duration, require_head, run_db
from api.db import session_factory


def add_member_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    """Register ``member invite``."""
    member = commands.add_parser("member", help="members: passkey invitations")
    actions = member.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(common))
    invite = actions.add_parser("invite", parents=[common], help="a one-time passkey invitation link; prints it once")
    invite.add_argument("--member", required=True, metavar="EMAIL", help="the member's email")
    invite.add_argument("--valid", type=parse_duration, default=None, help="how long the link works (default 72h)")
    invite.add_argument(
        "--revoke-passkeys", action="store_true", help="recovery: the link ends the member's earlier passkeys"
    )
    invite.set_defaults(handler=member_invite_command)


def member_invite_command(args: argparse.Namespace) -> int:
    """Create an invitation for a member and print its link once (stdout); audited, the link never logged."""
    from api.models import Member
    from api.services.network.invitations import invitation_link
    from api.services.shared.audit import operator_event
    from api.signin.invitations import create_invitation

    settings = load_settings(args)
    valid: timedelta = args.valid or timedelta(hours=settings.invitation_hours)

    async def invite(url: str) -> tuple[str, str]:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            async with session_factory(engine)() as session:
                member = await session.scalar(select(Member).where(func.lower(Member.email) == args.member.lower()))
                if member is None:
                    raise CliError(f"no member with email {args.member!r}", code=2)
                try:
                    row, token = await create_invitation(
                        session, member, valid=valid, revoke_passkeys=args.revoke_passkeys, invited_by=None
                    )
                except ValueError as exc:
                    raise CliError(str(exc), code=2) from exc
                session.add(operator_event(member.organization_id, "member invite", [row.id, member.id]))
                await session.commit()
                return row.expires_at.isoformat(timespec="seconds"), token

    with open_database(settings) as (url, _embedded):
        expires_at, token = run_db(invite(url), url)
    print(f"Invitation for {args.member}, valid until {expires_at}.", file=sys.stderr)
    print("The link follows on stdout; it is shown once and stored only as a hash.", file=sys.stderr)
    print(invitation_link(settings.public_url, token))
    return 0
