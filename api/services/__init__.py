"""Business logic: plain async functions taking a session; they never commit (the request does)."""
