"""Envelope encryption of T3 values (AES-256-GCM) and keyed blind indexes.

A key-encryption key (KEK) lives outside the database (``SANCTUARY_MASTER_KEY`` or a key file).
Each organization has a data key, stored in ``data_key`` wrapped by the KEK. A sealed value is
``version | data key id | nonce | ciphertext+tag`` and is bound, as associated data, to its
organization, table, column and record id: a ciphertext copied to another row, column or
organization fails to decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.models import DataKey

FORMAT_VERSION = 1
_NONCE = 12
_HEADER = 1 + 16
# How long a process trusts its cached active key ids: after a data-key rotation every instance seals
# with the new key within this time (``keys reencrypt --retire``, api/services/protection/reencrypt.py, waits a little longer before retiring the old one).
ACTIVE_KEY_TTL = 60.0


class DecryptionError(Exception):
    """A sealed value could not be opened (wrong row, tampered, or unknown key)."""


def generate_master_key() -> str:
    """A new random KEK, base64url-encoded."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def parse_master_keys(text: str) -> list[str]:
    """The keys of a key file or of ``SANCTUARY_MASTER_KEY``: separated by commas or lines, newest first."""
    return [part for part in text.replace(",", "\n").split() if part]


def load_or_create_key_file(path: Path) -> str:
    """Read the KEK(s) from ``path``, creating it (mode 0600) with one new key on first use."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_master_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


@dataclass(frozen=True)
class Kek:
    """A key-encryption key and its public identifier."""

    key: bytes

    @classmethod
    def from_text(cls, text: str) -> Kek:
        raw = base64.urlsafe_b64decode(text.strip().encode())
        if len(raw) != 32:
            raise ValueError("the master key must be 32 bytes, base64url-encoded")
        return cls(raw)

    @property
    def kek_id(self) -> str:
        return hashlib.sha256(b"kek-id:" + self.key).hexdigest()[:16]

    def seal(self, data: bytes, aad: bytes) -> bytes:
        """Encrypt key material directly under this key-encryption key."""
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(self.key).encrypt(nonce, data, aad)

    def open(self, sealed: bytes, aad: bytes) -> bytes:
        """Decrypt what :meth:`seal` produced with the same associated data."""
        try:
            return AESGCM(self.key).decrypt(sealed[:_NONCE], sealed[_NONCE:], aad)
        except InvalidTag as exc:
            raise DecryptionError("key material does not open with this key-encryption key") from exc

    def wrap(self, data_key: bytes, key_id: uuid.UUID) -> bytes:
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(self.key).encrypt(nonce, data_key, b"data-key:" + key_id.bytes)

    def unwrap(self, wrapped: bytes, key_id: uuid.UUID) -> bytes:
        try:
            return AESGCM(self.key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], b"data-key:" + key_id.bytes)
        except InvalidTag as exc:
            raise DecryptionError("data key does not unwrap with this key-encryption key") from exc


@dataclass
class Sealer:
    """Seals and opens T3 values; caches unwrapped data keys in process memory."""

    keks: list[Kek]
    _keys: dict[uuid.UUID, AESGCM] = field(default_factory=dict)
    _active: dict[uuid.UUID | None, tuple[uuid.UUID, float]] = field(default_factory=dict)
    _raw: dict[uuid.UUID, bytes] = field(default_factory=dict)

    @property
    def current(self) -> Kek:
        return self.keks[0]

    @cached_property
    def cursor_keys(self) -> tuple[AESGCM, ...]:
        """Keys sealing pagination cursors, newest first: derived from the key-encryption keys (HMAC-SHA256 with
        a fixed label), so every instance sharing them reads the others' cursors, and none is stored."""
        return tuple(AESGCM(hmac.new(kek.key, _CURSOR_KEY_LABEL, hashlib.sha256).digest()) for kek in self.keks)

    def derived_key(self, label: bytes) -> bytes:
        """A key for ``label`` derived from the newest key-encryption key (HMAC-SHA256), never stored: every
        instance holding the same keys derives the same one."""
        return hmac.new(self.current.key, label, hashlib.sha256).digest()

    async def seal(
        self, session: AsyncSession, org_id: uuid.UUID, record_id: uuid.UUID, column: str, value: str | None
    ) -> bytes | None:
        """Encrypt ``value`` for ``column`` (``table.column``) of the record; None stays None."""
        if value is None:
            return None
        key_id = await self.active_key_id(session, org_id)
        return self.seal_with(key_id, org_id, record_id, column, value)

    def seal_with(self, key_id: uuid.UUID, org_id: uuid.UUID, record_id: uuid.UUID, column: str, value: str) -> bytes:
        """Encrypt with an already loaded data key (bulk writers)."""
        nonce = secrets.token_bytes(_NONCE)
        aad = _aad(org_id, record_id, column)
        body = self._keys[key_id].encrypt(nonce, value.encode(), aad)
        return bytes([FORMAT_VERSION]) + key_id.bytes + nonce + body

    async def open(
        self,
        session: AsyncSession,
        org_id: uuid.UUID,
        record_id: uuid.UUID,
        column: str,
        sealed: bytes | None,
    ) -> str | None:
        """Decrypt a sealed value of the record; raises DecryptionError if it was moved or altered."""
        if sealed is None:
            return None
        if len(sealed) < _HEADER + _NONCE + 16 or sealed[0] != FORMAT_VERSION:
            raise DecryptionError("not a sealed value")
        key_id = uuid.UUID(bytes=sealed[1:_HEADER])
        if key_id not in self._keys:
            await self._load(session, key_id)
        nonce, body = sealed[_HEADER : _HEADER + _NONCE], sealed[_HEADER + _NONCE :]
        try:
            return self._keys[key_id].decrypt(nonce, body, _aad(org_id, record_id, column)).decode()
        except InvalidTag as exc:
            raise DecryptionError("sealed value does not belong to this record") from exc

    async def blind_index(self, session: AsyncSession, value: str) -> bytes:
        """Keyed HMAC of a normalised value, for exact-match lookup without decryption."""
        return await self._index_hmac(session, normalise_index_value(value).encode())

    async def keyed_digest(self, session: AsyncSession, data: bytes) -> bytes:
        """Keyed HMAC of raw bytes (e.g. a request's input), so a digest of a short secret cannot be guessed."""
        return await self._index_hmac(session, b"digest:" + data)

    async def _index_hmac(self, session: AsyncSession, data: bytes) -> bytes:
        """HMAC-SHA256 of ``data`` under the network's active blind-index key."""
        index_key = self._raw[await self.active_key_id(session, None)]
        return hmac.new(index_key, data, hashlib.sha256).digest()

    async def active_key_id(self, session: AsyncSession, org_id: uuid.UUID | None) -> uuid.UUID:
        """The id of the active data key of an organization (None: the network blind-index key).

        Cached for :data:`ACTIVE_KEY_TTL` seconds, so that a rotation reaches every running instance.
        """
        cached = self._active.get(org_id)
        if cached is not None and time.monotonic() - cached[1] < ACTIVE_KEY_TTL:
            return cached[0]
        purpose = "DATA" if org_id is not None else "BLIND_INDEX"
        row = await session.scalar(
            select(DataKey).where(DataKey.organization_id == org_id, DataKey.purpose == purpose, DataKey.active)
        )
        if row is None:
            row = await self.create_active_key(session, org_id, purpose)
        if row.id not in self._keys:
            self._remember(row)
        self._active[org_id] = (row.id, time.monotonic())
        return row.id

    async def load(self, session: AsyncSession, key_id: uuid.UUID) -> None:
        """Make a data key usable by :meth:`seal_with` (re-encryption seals under a key it looked up itself)."""
        if key_id not in self._keys:
            await self._load(session, key_id)

    async def create_active_key(self, session: AsyncSession, org_id: uuid.UUID | None, purpose: str) -> DataKey:
        """Create the active key; a concurrent first use waits on the unique index and takes the winner's."""
        key_id = uuid.uuid4()
        raw = AESGCM.generate_key(bit_length=256)
        await session.execute(
            insert(DataKey)
            .values(
                id=key_id,
                organization_id=org_id,
                purpose=purpose,
                kek_id=self.current.kek_id,
                wrapped_key=self.current.wrap(raw, key_id),
                active=True,
            )
            .on_conflict_do_nothing()
        )
        row = await session.scalar(
            select(DataKey).where(DataKey.organization_id == org_id, DataKey.purpose == purpose, DataKey.active)
        )
        assert row is not None
        return row

    async def _load(self, session: AsyncSession, key_id: uuid.UUID) -> None:
        row = await session.get(DataKey, key_id)
        if row is None:
            raise DecryptionError("unknown data key")
        self._remember(row)

    def _remember(self, row: DataKey) -> None:
        kek = next((k for k in self.keks if k.kek_id == row.kek_id), None)
        if kek is None:
            raise DecryptionError("data key is wrapped by a key-encryption key that is not configured")
        raw = kek.unwrap(row.wrapped_key, row.id)
        self._raw[row.id] = raw
        self._keys[row.id] = AESGCM(raw)

    def forget(self) -> None:
        """Drop cached keys (after a rollback that may have discarded a new key, or a rotation)."""
        self._keys.clear()
        self._raw.clear()
        self._active.clear()


_CURSOR_KEY_LABEL = b"sanctuary-api: pagination cursor key v1"


def normalise_index_value(value: str) -> str:
    """What a blind index is computed over: upper-case letters and digits only (``A-123`` = ``a123``)."""
    return "".join(ch for ch in value.upper() if ch.isalnum())


def _aad(org_id: uuid.UUID, record_id: uuid.UUID, column: str) -> bytes:
    return b"|".join([b"sanctuary-v1", org_id.bytes, record_id.bytes, column.encode()])


def sealer_from_settings(master_key: str | None, key_file: Path) -> Sealer:
    """Build the sealer from an inline key (comma-separated, newest first) or the key file."""
    text = master_key or load_or_create_key_file(key_file)
    return Sealer([Kek.from_text(part) for part in parse_master_keys(text)])
