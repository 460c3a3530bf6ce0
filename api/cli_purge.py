"""The `purge` command: apply the retention policies now and print how much each removed (counts only)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from api import scheduler
from api.cli_commands import CliError, connect, load_settings, open_database, require_head, run_db
from api.db import session_factory
from api.services import retention
from api.settings import Settings


def purge_command(args: argparse.Namespace) -> int:
    """Apply the retention policies (or, with --dry-run, count what they would remove)."""
    settings = load_settings(args)
    with open_database(settings) as (url, _embedded):
        report = run_db(_purge(url, settings, dry_run=args.dry_run), url)
    if report is None:
        raise CliError("another instance is applying the retention policies right now; try again later")
    print(format_report(report, dry_run=args.dry_run))
    return 0


async def _purge(url: str, settings: Settings, *, dry_run: bool) -> dict[str, int] | None:
    async with connect(url) as engine:
        await require_head(engine, "run `sanctuary-api migrate` first")
        async with session_factory(engine)() as session:
            if not dry_run and not await scheduler.try_lock(session):
                return None
            report = await retention.apply(session, settings, datetime.now(UTC), dry_run=dry_run)
            if dry_run:
                await session.rollback()
            else:
                await session.commit()
    return report


def format_report(report: dict[str, int], *, dry_run: bool) -> str:
    """One line per policy with its count; never a value."""
    heading = "Would remove (dry run, nothing was changed):" if dry_run else "Removed:"
    width = max(map(len, report), default=0)
    return "\n".join([heading, *(f"  {policy:<{width}}  {count}" for policy, count in report.items())])
