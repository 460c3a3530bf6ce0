"""Webhooks: registration and its access rules, deliveries to a real receiver on loopback, the SSRF guard."""
