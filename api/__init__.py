"""Sanctuary Network API: a role-scoped GraphQL API for a local sanctuary network."""
