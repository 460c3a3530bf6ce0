"""Reading a JWT's header and claims before verifying it (only to pick an issuer or a key)."""

from __future__ import annotations

from typing import Any

import orjson
from joserfc.errors import JoseError
from joserfc.jws import extract_compact


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The unverified header and claims of a compact JWT; empty dicts when it is malformed."""
    try:
        compact = extract_compact(token.encode())
        claims = orjson.loads(compact.payload)
    except (JoseError, ValueError, orjson.JSONDecodeError):
        return {}, {}
    return dict(compact.protected), claims if isinstance(claims, dict) else {}
