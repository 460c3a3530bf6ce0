"""The `purge` command: run a round of the periodic jobs now and print how much each retention policy removed.

Counts only, never values. A round is ``scheduler.run_once``: requests whose appointment passed become
UNFILLED, then the retention policies apply, under the scheduler's lock and in one transaction.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from api import scheduler
from api.cli_commands import CliError, connect, load_settings, open_database, require_head, run_db
from api.db import session_factory
from api.services.protection import retention
from api.settings import Settings


def purge_command(args: argparse.Namespace) -> int:
    """Run a round of the periodic jobs (or, with --dry-run, count what retention would remove)."""
    settings = load_settings(args)
    with open_database(settings) as (url, _embedded):
        report = run_db(_purge(url, settings, dry_run=args.dry_run), url)
    if report is None:
        raise CliError("another instance is applying the retention policies right now; try again later")
    print(format_report(report, dry_run=args.dry_run))
    return 0


async def _purge(url: str, settings: Settings, *, dry_run: bool) -> dict[str, int] | None:
    async with connect(url, settings) as engine:
        await require_head(engine, "run `sanctuary-api migrate` first")
        if not dry_run:
            # The same round as the scheduler's (every periodic job, under its lock, one commit), so a
            # manual purge removes exactly what a scheduled one would.
            return _retention_report(await scheduler.run_once(session_factory(engine), settings))
        async with session_factory(engine)() as session:
            report = await retention.apply(session, settings, datetime.now(UTC), dry_run=True)
            await session.rollback()
    return report


def _retention_report(results: dict[str, object] | None) -> dict[str, int] | None:
    """The retention job's counts from a round's results; None when another instance holds the lock."""
    if results is None:
        return None
    report = results.get(scheduler.RETENTION)
    if not isinstance(report, dict):  # the job failed: run_once logged it (by type) and left it out
        raise CliError("applying the retention policies failed; nothing was removed (see the log)")
    return report


def format_report(report: dict[str, int], *, dry_run: bool) -> str:
    """One line per policy with its count; never a value."""
    heading = "Would remove (dry run, nothing was changed):" if dry_run else "Removed:"
    width = max(map(len, report), default=0)
    return "\n".join([heading, *(f"  {policy:<{width}}  {count}" for policy, count in report.items())])
