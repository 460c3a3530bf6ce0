"""WebAuthn ceremonies with the `webauthn` library: registration on an invitation, authentication on sign-in.

Challenges are kept server-side (``webauthn_challenge``), valid a few minutes and spent on first use.
Authentication asks for a discoverable credential (no allow-list), so the options never reveal whether
a member exists; the credential's id names the passkey, and its sign count must grow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.authentication.verify_authentication_response import VerifiedAuthentication
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from api.models import Member, MemberInvitation, Passkey, WebauthnChallenge

CHALLENGE_LIFETIME = timedelta(minutes=5)
TIMEOUT_MS = 120_000
RP_NAME = "Sanctuary Network"


class CeremonyError(Exception):
    """A ceremony was refused; ``member`` is who a named passkey belongs to (for the audit), if any."""

    def __init__(self, reason: str, member: Member | None = None) -> None:
        super().__init__(reason)
        self.member = member


@dataclass(frozen=True)
class RelyingParty:
    """The relying party: id (the public URL's host) and the origin browsers report."""

    id: str
    origin: str

    @classmethod
    def from_public_url(cls, public_url: str) -> RelyingParty:
        """``http://localhost:8000`` gives id ``localhost`` and that origin."""
        parts = urlsplit(public_url)
        return cls(id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}")


async def _new_challenge(
    session: AsyncSession, purpose: str, challenge: bytes, invitation_id: uuid.UUID | None = None
) -> uuid.UUID:
    now = datetime.now(UTC)
    await session.execute(delete(WebauthnChallenge).where(WebauthnChallenge.expires_at < now))
    row = WebauthnChallenge(
        id=uuid.uuid4(), purpose=purpose, challenge=challenge, invitation_id=invitation_id,
        expires_at=now + CHALLENGE_LIFETIME,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row.id


async def new_challenge(session: AsyncSession, purpose: str, value: bytes) -> uuid.UUID:
    """Keep ``value`` for one later step of a ceremony (a few minutes, spent once); its id names it."""
    return await _new_challenge(session, purpose, value)


async def spend_challenge(
    session: AsyncSession, challenge_id: str, purpose: str, invitation_id: uuid.UUID | None = None
) -> bytes:
    """The challenge's bytes, deleted so it cannot serve twice; CeremonyError when unknown or expired."""
    try:
        key = uuid.UUID(challenge_id)
    except (ValueError, TypeError):
        raise CeremonyError("challenge") from None
    row = await session.scalar(
        delete(WebauthnChallenge)
        .where(
            WebauthnChallenge.id == key,
            WebauthnChallenge.purpose == purpose,
            WebauthnChallenge.expires_at > datetime.now(UTC),
        )
        .returning(WebauthnChallenge)
    )
    if row is None or row.invitation_id != invitation_id:
        raise CeremonyError("challenge")
    challenge: bytes = row.challenge
    return challenge


async def registration_options(session: AsyncSession, rp: RelyingParty, invitation: MemberInvitation) -> dict[str, Any]:
    """Options for navigator.credentials.create() for the invited member, and the challenge's id."""
    member = await session.get_one(Member, invitation.member_id)
    existing = [] if invitation.revoke_passkeys else await _passkeys(session, member.id)
    options = generate_registration_options(
        rp_id=rp.id, rp_name=RP_NAME, user_id=member.id.bytes, user_name=member.email,
        user_display_name=member.alias, timeout=TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.PREFERRED
        ),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id) for key in existing],
    )  # fmt: skip
    challenge_id = await _new_challenge(session, "register", options.challenge, invitation.id)
    return {"challengeId": str(challenge_id), "publicKey": _json(options_to_json(options))}


async def register(
    session: AsyncSession,
    rp: RelyingParty,
    invitation: MemberInvitation,
    *,
    challenge: bytes,
    credential: dict[str, Any],
    name: str,
) -> Passkey:
    """Verify the authenticator's answer to ``challenge`` (spent by the caller) and store the new passkey."""
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin
        )
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError):
        raise CeremonyError("registration") from None
    if await session.scalar(select(Passkey.id).where(Passkey.credential_id == verified.credential_id)):
        raise CeremonyError("registration")
    transports = credential.get("response", {}).get("transports") or []
    passkey = Passkey(
        id=uuid.uuid4(), member_id=invitation.member_id, credential_id=verified.credential_id,
        public_key=verified.credential_public_key, sign_count=verified.sign_count,
        name=(name.strip() or "Passkey")[:120],
        transports=[str(t)[:32] for t in transports if isinstance(t, str)][:8],
    )  # fmt: skip
    session.add(passkey)
    await session.flush()
    return passkey


async def authentication_options(session: AsyncSession, rp: RelyingParty) -> dict[str, Any]:
    """Options for navigator.credentials.get() (discoverable credentials, no allow-list) and the challenge id."""
    options = generate_authentication_options(
        rp_id=rp.id, timeout=TIMEOUT_MS, user_verification=UserVerificationRequirement.PREFERRED
    )
    challenge_id = await _new_challenge(session, "authenticate", options.challenge)
    return {"challengeId": str(challenge_id), "publicKey": _json(options_to_json(options))}


async def authenticate(
    session: AsyncSession, rp: RelyingParty, *, challenge_id: str, credential: dict[str, Any]
) -> tuple[Passkey, Member]:
    """The passkey and active member the assertion proves, sign count updated; CeremonyError otherwise."""
    challenge = await spend_challenge(session, challenge_id, "authenticate")
    passkey = await _passkey_named(session, credential)
    if passkey is None:  # the same verification against a key nobody holds: about as long as a known passkey's
        _verify(rp, challenge, credential, _DECOY, 0)
        raise CeremonyError("unknown credential")
    member = await session.get_one(Member, passkey.member_id)
    verified = _verify(rp, challenge, credential, passkey.public_key, passkey.sign_count)
    if verified is None:
        raise CeremonyError("assertion", member)
    if not member.active:
        raise CeremonyError("inactive", member)
    passkey.sign_count = verified.new_sign_count
    passkey.last_used_at = datetime.now(UTC)
    await session.flush()
    return passkey, member


def _decoy_key() -> bytes:
    """A COSE P-256 public key of a private key thrown away at once."""
    import cbor2
    from cryptography.hazmat.primitives.asymmetric import ec

    numbers = ec.generate_private_key(ec.SECP256R1()).public_key().public_numbers()
    return bytes(
        cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
    )


_DECOY = _decoy_key()


def _verify(
    rp: RelyingParty, challenge: bytes, credential: dict[str, Any], public_key: bytes, sign_count: int
) -> VerifiedAuthentication | None:
    """The verified assertion, or None."""
    try:
        return verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp.id, expected_origin=rp.origin,
            credential_public_key=public_key, credential_current_sign_count=sign_count,
        )  # fmt: skip
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError):
        return None


async def _passkey_named(session: AsyncSession, credential: dict[str, Any]) -> Passkey | None:
    from webauthn import base64url_to_bytes

    raw = credential.get("rawId") or credential.get("id")
    if not isinstance(raw, str) or len(raw) > 1400:
        return None
    try:
        credential_id = base64url_to_bytes(raw)
    except ValueError:
        return None
    return await session.scalar(select(Passkey).where(Passkey.credential_id == credential_id))


async def _passkeys(session: AsyncSession, member_id: uuid.UUID) -> list[Passkey]:
    return list(await session.scalars(select(Passkey).where(Passkey.member_id == member_id)))


def _json(text: str) -> dict[str, Any]:
    import orjson

    value: dict[str, Any] = orjson.loads(text)
    return value
