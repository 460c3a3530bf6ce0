"""Subscriptions over a real WebSocket against the app served by uvicorn on loopback (issue 13)."""
