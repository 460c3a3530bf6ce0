"""The OAuth 2.1 authorization server for people: code + PKCE, refresh rotation, device grant, consent."""
