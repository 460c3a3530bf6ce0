"""`sanctuary-api keys generate|rotate|reencrypt`: key-encryption key rotation and data-key re-encryption.

Key-encryption key (KEK) rotation, with the key file (the embedded default):
``keys rotate`` puts a new key first in the file, keeps the old one after it and rewraps every key
(``--stage`` only adds the key: restart the instances sharing the file, then run ``keys rotate``);
restart the instances, then ``keys rotate --retire-old`` removes the old key from the file.
With ``SANCTUARY_MASTER_KEY``: ``keys generate`` prints a new key; configure ``NEW,OLD`` everywhere,
run ``keys rotate``, then drop ``OLD`` (``keys rotate --retire-old`` first checks nothing needs it).
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from api.cli_commands import CliError, connect, load_sealer, load_settings, open_database, require_head, run_db
from api.crypto import DecryptionError, Kek, generate_master_key, parse_master_keys
from api.db import session_factory
from api.observability import runtime as observability
from api.services.protection.keys import KeyRotationError, RewrapReport, read_key_file, rewrap_all, write_key_file
from api.services.protection.reencrypt import BATCH, DEFAULT_GRACE, ReencryptReport, reencrypt
from api.services.protection.reindex import ReindexReport, reindex
from api.settings import Settings


def add_key_commands(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Register `keys generate`, `keys rotate` and `keys reencrypt`."""
    keys = commands.add_parser("keys", help="rotate the key-encryption key and the data keys")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=type(common))
    generate = actions.add_parser("generate", help="print a new key-encryption key (for SANCTUARY_MASTER_KEY)")
    generate.set_defaults(handler=keys_generate_command)
    rotate = actions.add_parser("rotate", parents=[common], help="rewrap every key with the newest key-encryption key")
    mode = rotate.add_mutually_exclusive_group()
    mode.add_argument("--stage", action="store_true", help="key file: only add a new key first (restart, then rotate)")
    mode.add_argument("--retire-old", action="store_true", help="after a rotation: drop the old key-encryption keys")
    rotate.set_defaults(handler=keys_rotate_command)
    again = actions.add_parser("reencrypt", parents=[common], help="move every sealed value to new data keys")
    again.add_argument("--resume", action="store_true", help="finish an interrupted run (no new keys)")
    again.add_argument("--retire", action="store_true", help="then delete old keys no value uses any more")
    again.add_argument("--blind-index", action="store_true", help="rotate the blind-index key, recompute indexes")
    again.add_argument("--batch-size", type=_count, default=BATCH, metavar="N", help=f"rows per transaction ({BATCH})")
    again.add_argument(
        "--grace", type=_count, default=int(DEFAULT_GRACE.total_seconds()), metavar="SECONDS",
        help="how long instances may still use an old key before it is retired (default: %(default)s)",
    )  # fmt: skip
    again.set_defaults(handler=keys_reencrypt_command)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number: {text!r}")
    return int(text)


def keys_generate_command(_args: argparse.Namespace) -> int:
    """Print a new random key-encryption key on stdout (the only command that prints key material)."""
    print(generate_master_key())
    return 0


def keys_rotate_command(args: argparse.Namespace) -> int:
    """Rewrap every data key and signing key with the first configured KEK; with the key file, add it first."""
    settings = load_settings(args)
    from_env = bool(settings.master_key)
    keys = parse_master_keys(settings.master_key or "") if from_env else _file_keys(settings)
    if args.stage and from_env:
        raise CliError("--stage is for the key file: with SANCTUARY_MASTER_KEY, put a new key first yourself", code=2)
    if not from_env and len(keys) == 1 and not args.retire_old:
        keys = [generate_master_key(), *keys]
        write_key_file(settings.resolved_key_file, keys)
        print(f"A new key-encryption key is now first in {settings.resolved_key_file}; the old one stays after it.")
    if args.stage:
        print("Restart the instances that use this key file, then run `sanctuary-api keys rotate`.")
        return 0
    report = _rewrap(settings, keys)
    print(report)
    if report.remaining:
        raise CliError(f"{report.remaining} keys are still wrapped by an older key-encryption key: run again")
    _next_step(settings, keys, retire_old=args.retire_old)
    return 0


def _file_keys(settings: Settings) -> list[str]:
    path = settings.resolved_key_file
    if not path.exists():
        raise CliError(f"no key file at {path} and no SANCTUARY_MASTER_KEY: nothing to rotate", code=2)
    keys = read_key_file(path)
    if not keys:
        raise CliError(f"the key file {path} holds no key", code=2)
    return keys


def _rewrap(settings: Settings, keys: list[str]) -> RewrapReport:
    try:
        keks = [Kek.from_text(key) for key in keys]
    except ValueError as exc:
        raise CliError(f"cannot load the key-encryption keys: {exc}") from exc

    async def rewrap(url: str) -> RewrapReport:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            return await rewrap_all(session_factory(engine), keks)

    with open_database(settings) as (url, _embedded):
        try:
            return run_db(rewrap(url), url)
        except KeyRotationError as exc:
            raise CliError(str(exc)) from exc


def _next_step(settings: Settings, keys: list[str], *, retire_old: bool) -> None:
    if len(keys) == 1:
        if settings.master_key:
            print("SANCTUARY_MASTER_KEY holds one key: to rotate, put a new one (`keys generate`) before it.")
        return
    if not retire_old:
        print(
            f"The {len(keys) - 1} old key-encryption key(s) are no longer needed: once every instance runs with "
            "the new key first, run `sanctuary-api keys rotate --retire-old`."
        )
    elif settings.master_key:
        print("Nothing needs the old key-encryption key(s) any more: keep only the first in SANCTUARY_MASTER_KEY.")
    else:
        write_key_file(settings.resolved_key_file, keys[:1])
        print(f"Removed {len(keys) - 1} old key-encryption key(s) from {settings.resolved_key_file}.")


def keys_reencrypt_command(args: argparse.Namespace) -> int:
    """Move every sealed value to a new data key per organization (or rotate the blind-index key)."""
    settings = load_settings(args)
    if not settings.master_key:
        _file_keys(settings)  # never create a new key file here: it would wrap nothing
    sealer = load_sealer(settings)
    observability.start(settings)  # with SANCTUARY_METRICS_PORT: the run's progress as a gauge

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    async def run(url: str) -> ReencryptReport | ReindexReport:
        async with connect(url, settings) as engine:
            await require_head(engine, "run `sanctuary-api migrate` first")
            sessions, grace = session_factory(engine), timedelta(seconds=args.grace)
            job = reindex if args.blind_index else reencrypt
            return await job(
                sessions, sealer, resume=args.resume, retire=args.retire, grace=grace,
                batch=args.batch_size, progress=True, say=say,
            )  # fmt: skip

    with open_database(settings) as (url, _embedded):
        try:
            report = run_db(run(url), url)
        except KeyboardInterrupt:
            raise CliError("interrupted: run the same command with --resume to finish", code=130) from None
        except (KeyRotationError, DecryptionError) as exc:
            raise CliError(str(exc)) from exc
        finally:
            observability.stop()
    print(report)
    return 0
