"""Signing people in: invitations, passkeys (WebAuthn), browser sessions and the sign-in pages."""
