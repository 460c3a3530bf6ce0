"""The production profile (``SANCTUARY_ENVIRONMENT=production``) and the settings printed at start.

In production the service refuses to start (one line, exit code 2) with demo data (``serve --demo``, a
``*demo*`` setting switched on such as GraphiQL's one-click demo sign-in, or a database holding the demo
network), without a key-encryption key given (never created on first start), or with a public URL that is
not ``https://`` (``http://`` only for localhost). Every setting is printed at start, secrets masked: any
setting or nested key whose name says key, secret, password, token, credential or private, the password
and query of any URL, and the private members of a JSON Web Key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
from pydantic import BaseModel, SecretBytes, SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from api.settings import Settings

PRODUCTION = "production"
MASK = "***"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_SECRET_NAME = re.compile(r"key|secret|passw|token|credential|private|dsn", re.IGNORECASE)
_JWK_PRIVATE = frozenset({"k", "d", "p", "q", "dp", "dq", "qi", "oth"})


def is_production(settings: Settings) -> bool:
    """Whether the production profile applies."""
    return settings.environment.strip().lower() == PRODUCTION


def refusals(settings: Settings, *, demo: bool = False, listen_host: str | None = None) -> list[str]:
    """Why production refuses these settings (empty: it may start; always empty outside production).
    ``demo``: the command asked for the demo network; ``listen_host``: where ``serve`` listens (the public
    URL it derives when none is set)."""
    if not is_production(settings):
        return []
    found = []
    flags = sorted(name for name in type(settings).model_fields if "demo" in name and getattr(settings, name))
    if demo or flags:
        what = ", ".join(["--demo"] * demo + [f"SANCTUARY_{name.upper()}" for name in flags])
        found.append(f"demo data and the demo sign-in are not allowed in production ({what})")
    if not settings.master_key and not settings.resolved_key_file.is_file():
        found.append(
            "the key-encryption key is missing: give SANCTUARY_MASTER_KEY or an existing SANCTUARY_KEY_FILE "
            "(production never creates one)"
        )
    url = settings.public_url if "public_url" in settings.model_fields_set or listen_host is None else None
    url = url or f"http://{f'[{listen_host}]' if ':' in str(listen_host) else listen_host}"
    if not _secure(url):
        found.append("SANCTUARY_PUBLIC_URL must be an https:// URL in production (http:// only for localhost)")
    return found


def _secure(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS)


async def holds_demo_network(engine: AsyncEngine) -> bool:
    """Whether the database holds members of the demo network (their e-mails are in the demo's domain)."""
    from api.models import Member
    from api.seed.fiction import DEMO_DOMAIN

    async with engine.connect() as connection:
        found = await connection.scalar(select(Member.id).where(Member.email.endswith(f"@{DEMO_DOMAIN}")).limit(1))
    return found is not None


def masked_settings(settings: Settings) -> dict[str, Any]:
    """Every setting by name, fit for printing: secrets masked."""
    return {name: _masked(name, getattr(settings, name)) for name in type(settings).model_fields}


def _masked(name: str, value: Any) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, BaseModel):
        return _masked(name, value.model_dump(mode="json"))
    if isinstance(value, dict):
        return {str(k): _masked(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_masked(name, item) for item in value]
    text = str(value)
    if (_SECRET_NAME.search(name) or name in _JWK_PRIVATE) and text:
        return MASK
    if text[:1] in "[{":
        try:
            return _masked(name, orjson.loads(text))
        except orjson.JSONDecodeError:
            return MASK  # not JSON after all: it might hold anything
    return _url_masked(text) if "://" in text else text


def _url_masked(url: str) -> str:
    """A URL without its password (the user name stays) and without its query's values."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            netloc = netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    except ValueError:
        return MASK
    query = "&".join(f"{pair.split('=', 1)[0]}={MASK}" for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
