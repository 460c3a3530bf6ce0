"""Opaque global ids (``base64url("Type:uuid")``) and sealed keyset cursors."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from api.schema.engine.errors import BadRequestError

_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode_global_id(type_name: str, record_id: uuid.UUID) -> str:
    """The opaque id partners see for a record: unpadded base64url of ``Type:uuid`` (``base64.urlsafe_b64encode``
    spelled out: this runs for every node of every page)."""
    encoded = binascii.b2a_base64(f"{type_name}:{record_id}".encode(), newline=False).translate(_URLSAFE)
    return encoded.rstrip(b"=").decode()


def decode_global_id(value: str) -> tuple[str, uuid.UUID]:
    """Split an opaque id into type name and UUID; BadRequestError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        type_name, _, record_id = raw.partition(":")
        if not type_name.isalnum():
            raise ValueError(type_name)
        return type_name, uuid.UUID(record_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequestError("Malformed id: not an id issued by this API.", code="INVALID_ID") from None


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_NONCE = 12
_POSITION = struct.Struct(">8sq16s")  # the connection's tag, the sort key in microseconds, the row's id
_SEALED_LENGTH = _NONCE + _POSITION.size + 16  # nonce, encrypted position, GCM tag
_CURSOR_LENGTH = -(-_SEALED_LENGTH * 4 // 3)  # unpadded base64url


def encode_cursor(keys: Sequence[AESGCM], connection: str, sort_value: datetime, record_id: uuid.UUID) -> str:
    """A cursor pointing at one row of one connection's ordering, sealed (AES-GCM under the newest cursor key):
    opaque to every caller, bound to the connection and ordering, refused if altered."""
    position = _POSITION.pack(_tag(connection), (sort_value - _EPOCH) // _MICROSECOND, record_id.bytes)
    nonce = os.urandom(_NONCE)
    sealed = nonce + keys[0].encrypt(nonce, position, None)
    return binascii.b2a_base64(sealed, newline=False).translate(_URLSAFE).rstrip(b"=").decode()


def decode_cursor(keys: Sequence[AESGCM], connection: str, cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor points at; BadRequestError when altered, not ours, or from another connection or
    ordering (never quoting it)."""
    position = _open(keys, cursor)
    if position is None:
        raise BadRequestError("Invalid cursor: not issued by this API, or altered.", code="INVALID_CURSOR")
    tag, micros, record_id = _POSITION.unpack(position)
    if not hmac.compare_digest(tag, _tag(connection)):
        raise BadRequestError("This cursor belongs to another connection or ordering.", code="INVALID_CURSOR")
    return _EPOCH + micros * _MICROSECOND, uuid.UUID(bytes=record_id)


def _open(keys: Sequence[AESGCM], cursor: str) -> bytes | None:
    if len(cursor) != _CURSOR_LENGTH:
        return None
    try:
        sealed = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, binascii.Error):
        return None
    for key in keys:  # newest first; older keys while the key-encryption key rotates
        try:
            return key.decrypt(sealed[:_NONCE], sealed[_NONCE:], None)
        except InvalidTag:
            continue
    return None


@lru_cache(maxsize=256)
def _tag(connection: str) -> bytes:
    return hashlib.sha256(b"cursor:" + connection.encode()).digest()[:8]
