"""Tests of signing in: invitations, passkey ceremonies, sessions and the pages (server-side and in a real browser)."""
