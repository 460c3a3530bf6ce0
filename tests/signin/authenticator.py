"""A software WebAuthn authenticator (ES256, "none" attestation) answering the server's options like a browser."""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from typing import Any

import cbor2
import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec


def b64(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    """Bytes of base64url text without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One credential at a time; ``sign_count`` grows on every assertion."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return orjson.dumps({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False})

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def create(self, options: dict[str, Any]) -> dict[str, Any]:
        """The answer of navigator.credentials.create() to ``publicKey`` options."""
        rp_hash = hashlib.sha256(options["rp"]["id"].encode()).digest()
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key()
        auth_data = rp_hash + bytes([0x45]) + struct.pack(">I", self.sign_count) + attested
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {
                "clientDataJSON": b64(self._client_data("webauthn.create", options["challenge"])),
                "attestationObject": b64(attestation), "transports": ["internal"],
            },
            "clientExtensionResults": {},
        }  # fmt: skip

    def get(self, options: dict[str, Any], *, count: int | None = None) -> dict[str, Any]:
        """The answer of navigator.credentials.get() (``count`` forces a sign count, e.g. a replayed one)."""
        self.sign_count = self.sign_count + 1 if count is None else count
        rp_hash = hashlib.sha256(options["rpId"].encode()).digest()
        auth_data = rp_hash + bytes([0x05]) + struct.pack(">I", self.sign_count)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {
            "id": b64(self.credential_id), "rawId": b64(self.credential_id), "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                "signature": b64(signature), "userHandle": None,
            },
            "clientExtensionResults": {},
        }  # fmt: skip
