"""Standard Webhooks signatures: ``whsec_`` secrets and ``v1,<base64 HMAC-SHA256>`` over ``id.timestamp.body``.

See https://www.standardwebhooks.com/: the signed content is ``f"{webhook_id}.{timestamp}.{body}"``, the key
the secret's base64-decoded bytes after its ``whsec_`` prefix. During a rotation's overlap both the new and the
old secret sign, as space-separated entries of one ``webhook-signature`` header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable

PREFIX = "whsec_"
SECRET_BYTES = 32


def webhook_id(delivery_id: uuid.UUID) -> str:
    """The ``webhook-id`` of a delivery: the same on every attempt and replay."""
    return f"msg_{delivery_id.hex}"


def new_secret() -> str:
    """A new random signing secret, ``whsec_`` + base64 of 32 bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """One ``v1,<signature>`` entry for ``body`` sent as ``webhook_id`` at ``timestamp`` (Unix seconds)."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    content = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signature_header(secrets_in_use: Iterable[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one entry per secret in use (the new one first)."""
    return " ".join(sign(secret, webhook_id, timestamp, body) for secret in secrets_in_use)


def headers(secrets_in_use: Iterable[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of one attempt."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(secrets_in_use, webhook_id, timestamp, body),
    }
