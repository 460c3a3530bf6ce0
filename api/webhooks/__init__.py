"""Signed webhooks for partner apps: endpoints' secrets, the outbox fan-out, the delivery worker, the SSRF guard."""
