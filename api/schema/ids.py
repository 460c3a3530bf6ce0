"""Opaque global ids (``base64url("Type:uuid")``) and keyset cursors."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

import orjson

from api.schema.errors import BadRequestError

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


def encode_cursor(connection: str, sort_value: datetime, record_id: uuid.UUID) -> str:
    """A cursor pointing at one row of one connection's ordering."""
    payload = orjson.dumps([connection, sort_value.isoformat(), str(record_id)])
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(connection: str, cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor points at; BadRequestError when forged or from another connection."""
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        name, sort_value, record_id = payload
        position = datetime.fromisoformat(sort_value), uuid.UUID(record_id)
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise BadRequestError("Invalid cursor.", code="INVALID_CURSOR") from None
    if name != connection or position[0].tzinfo is None:
        raise BadRequestError("This cursor belongs to another connection or ordering.", code="INVALID_CURSOR")
    return position
