"""The OAuth 2.1 authorization server for people: authorization code + PKCE (partner frontends and the API's own
GraphiQL), refresh token rotation, the device grant (RFC 8628), consent and discovery (RFC 8414)."""
