"""Keys that sign partner apps' access tokens (ES256), shared by every instance through the database.

Private keys are stored sealed with the key-encryption key; the public halves are published at
``/.well-known/jwks.json``. Retired keys stay published (and accepted) until tokens they signed
have expired.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

from joserfc.jwk import ECKey, KeySet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.crypto import DecryptionError, Sealer
from api.models import SigningKey

ALGORITHM = "ES256"
REFRESH_SECONDS = 60.0
FORCED_REFRESH_SECONDS = 5.0


@dataclass
class SigningKeys:
    """Process cache of the signing keys; reloaded from the database at most once a minute."""

    sealer: Sealer
    _private: ECKey | None = None
    _public: KeySet = field(default_factory=lambda: KeySet([]))
    _loaded_at: float = 0.0

    async def signing_key(self, session: AsyncSession) -> ECKey:
        """The active private key, created on first use."""
        await self._refresh(session)
        if self._private is None:
            await self._create(session)
            await self._refresh(session, force=True)
        assert self._private is not None
        return self._private

    async def public_keys(self, session: AsyncSession, *, kid: str | None = None) -> KeySet:
        """Public keys that verify tokens (reloaded early when an unknown ``kid`` shows up)."""
        unknown = kid is not None and not self._knows(kid)
        # an unknown kid reloads early, but at most every few seconds: forged kids cannot force a query each
        await self._refresh(session, force=unknown and time.monotonic() - self._loaded_at > FORCED_REFRESH_SECONDS)
        return self._public

    def _knows(self, kid: str) -> bool:
        return any(key.kid == kid for key in self._public.keys)

    async def _refresh(self, session: AsyncSession, *, force: bool = False) -> None:
        if not force and time.monotonic() - self._loaded_at < REFRESH_SECONDS:
            return
        rows = list((await session.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None)))).all())
        self._public = KeySet([ECKey.import_key(dict(row.public_jwk)) for row in rows])
        newest = max(rows, key=lambda row: row.created_at, default=None)
        self._private = self._open(newest) if newest is not None else None
        self._loaded_at = time.monotonic()

    def _open(self, row: SigningKey) -> ECKey | None:
        kek = next((k for k in self.sealer.keks if k.kek_id == row.kek_id), None)
        if kek is None:
            raise DecryptionError("the signing key is sealed with a key-encryption key that is not configured")
        pem = kek.open(row.sealed_private_key, b"signing-key:" + row.kid.encode())
        return ECKey.import_key(pem, {"kid": row.kid, "alg": ALGORITHM, "use": "sig"})

    async def _create(self, session: AsyncSession) -> None:
        kid = secrets.token_urlsafe(12)
        key = ECKey.generate_key("P-256", {"kid": kid, "alg": ALGORITHM, "use": "sig"}, private=True)
        kek = self.sealer.current
        session.add(
            SigningKey(
                kid=kid,
                algorithm=ALGORITHM,
                kek_id=kek.kek_id,
                sealed_private_key=kek.seal(key.as_pem(private=True), b"signing-key:" + kid.encode()),
                public_jwk=key.as_dict(private=False),
            )
        )
        await session.flush()
