"""Device authorization (RFC 8628) codes at rest: the device code and the user code are stored as hashes.

A user code is 8 letters from an alphabet without vowels or look-alikes (``BCDFGHJKLMNPQRSTVWXZ``, shown as
``XXXX-XXXX``); what a person types is normalized (case, dashes, spaces) before it is hashed.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.auth.clients import AnyClient
from api.auth.tokens import hash_token
from api.models import OAuthClient, OAuthDeviceCode

USER_CODE_ALPHABET = frozenset("BCDFGHJKLMNPQRSTVWXZ")


def normalize_user_code(typed: str) -> str | None:
    """The user code a person typed, as stored (upper case, no separators); None when it cannot be one."""
    code = "".join(char for char in typed.upper() if char not in "- \t")
    return code if len(code) == 8 and set(code) <= USER_CODE_ALPHABET else None


async def save(
    session: AsyncSession, client: AnyClient, scope: str, data: dict[str, Any], device_name: str
) -> OAuthDeviceCode:
    """Store a new device authorization (the hashes of its codes)."""
    assert client.row is not None  # the device grant is for registered apps
    user_code = normalize_user_code(str(data["user_code"]))
    assert user_code is not None
    row = OAuthDeviceCode(
        id=uuid.uuid4(), device_code_hash=hash_token(str(data["device_code"])), user_code_hash=hash_token(user_code),
        client_id=client.row.id, scopes=sorted(set(client.get_allowed_scope(scope).split())),
        device_name=device_name[:200], expires_at=datetime.now(UTC) + timedelta(seconds=int(data["expires_in"])),
        interval_s=int(data["interval"]), status="PENDING",
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def load_by_device_code(session: AsyncSession, device_code: str) -> OAuthDeviceCode | None:
    """The device authorization of this device code (locked), whatever its state."""
    if not device_code or len(device_code) > 200:
        return None
    statement = select(OAuthDeviceCode).where(OAuthDeviceCode.device_code_hash == hash_token(device_code))
    return await session.scalar(statement.with_for_update())


async def pending_by_user_code(session: AsyncSession, typed: str) -> tuple[OAuthDeviceCode, OAuthClient] | None:
    """The pending, unexpired device authorization a person's user code names, and its (enabled) app."""
    user_code = normalize_user_code(typed)
    if user_code is None:
        return None
    found = (
        await session.execute(
            select(OAuthDeviceCode, OAuthClient)
            .join(OAuthClient, OAuthClient.id == OAuthDeviceCode.client_id)
            .where(
                OAuthDeviceCode.user_code_hash == hash_token(user_code),
                OAuthDeviceCode.status == "PENDING",
                OAuthDeviceCode.expires_at > datetime.now(UTC),
                OAuthClient.disabled_at.is_(None),
            )
            .with_for_update(of=OAuthDeviceCode)
        )
    ).one_or_none()
    return None if found is None else (found[0], found[1])


def decide(row: OAuthDeviceCode, member_id: uuid.UUID, auth_time: datetime, *, approve: bool) -> None:
    """The signed-in member approves (binding the grant to them and their sign-in) or denies."""
    row.status = "APPROVED" if approve else "DENIED"
    row.member_id, row.auth_time = member_id, auth_time
