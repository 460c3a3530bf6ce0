"""Mutants of the webhook rules: who manages an app's endpoints, what is listed, signatures, the SSRF guard, retries."""

from __future__ import annotations

from tests.mutants.base import Mutant, group

DELIVERIES = ("tests/webhooks/test_deliveries.py",)
WORKER = ("tests/webhooks/test_worker.py",)
ADDRESSES = ("tests/webhooks/test_addresses.py",)
CONNECTIONS = ("tests/webhooks/test_connections.py",)
FANOUT = ("tests/webhooks/test_fanout.py",)
BATCHES = ("tests/webhooks/test_batches.py",)

_rule = group("webhooks", "api/auth/webhooks.py")
_guard = group("webhooks", "api/webhooks/addresses.py", *ADDRESSES)
_sender = group("webhooks", "api/webhooks/sender.py", *WORKER)
_signing = group("webhooks", "api/webhooks/signing.py", *DELIVERIES)
_outcomes = group("webhooks", "api/webhooks/outcomes.py", *DELIVERIES)
_worker = group("webhooks", "api/webhooks/worker.py", *DELIVERIES)
_pools = group("webhooks", "api/webhooks/connections.py", *CONNECTIONS)
_cursor = group("webhooks", "api/webhooks/cursor.py", *FANOUT)
_fanout = group("webhooks", "api/webhooks/fanout.py", *FANOUT)
_claims = group("webhooks", "api/webhooks/claims.py", *WORKER)

MUTANTS: tuple[Mutant, ...] = (
    _rule("an app with the webhooks scope manages its siblings' endpoints",
          "return acts_as_app_with_scope(viewer) and app.client_id == viewer.client_id",
          "return acts_as_app_with_scope(viewer)", *WORKER),
    _rule("an app with the webhooks scope reads its siblings' endpoints",
          "return OAuthClient.client_id == viewer.client_id if acts_as_app_with_scope(viewer) else false()",
          "return OAuthClient.client_id.is_not(None) if acts_as_app_with_scope(viewer) else false()", *WORKER),
    _rule("deliveries the app may not see are listed",
          "WebhookDelivery.status != WebhookDeliveryStatus.NOT_VISIBLE", "WebhookDelivery.status.is_not(None)",
          *DELIVERIES),
    _guard("IPv4 inside IPv6 is not looked into", "    if inner is not None:  # IPv4 written inside IPv6",
           "    if inner is not None and False:  # IPv4 written inside IPv6"),
    _guard("addresses that are not global but not private either pass (shared, CGNAT)",
           "return ip.is_global and not local", "return not local"),
    _sender("redirects followed", "follow_redirects=False", "follow_redirects=True"),
    _signing("the signature leaves out the webhook-id",
             'content = f"{webhook_id}.{timestamp}.".encode() + body', 'content = f"{timestamp}.".encode() + body'),
    _outcomes("retries give up at the first failure", "if now >= deadline else", "if now >= attempt.created_at else"),
    _worker("a disabled app still gets deliveries", "if not app_reads:  # disabled", "if False:  # disabled"),
    _worker("no cap per receiver", "async with shared.connections.slot(_origin(url)), shared.gate:",
            "async with shared.gate:", *CONNECTIONS),
    _pools("a kept connection serves any host and address", "pool = self._pools.pop(target, None)",
           "pool = self._pools.pop(next(iter(self._pools), target), None)"),
    _sender("an answer is read to its end", "        if read >= cap:\n            return",
            "        if read >= cap and False:\n            return", *CONNECTIONS),
    _cursor("a gap is forgotten while its transaction may still commit", "if g not in seen and x > settled",
            "if g not in seen and False"),
    _fanout("gaps are observed before the read", "gaps = gaps.plus(skipped, int(await session.scalar(",
            "gaps = gaps.plus(skipped, 0 * int(await session.scalar("),
    _claims("claims wait on each other instead of sharing", "with_for_update(of=WebhookDelivery, skip_locked=True)",
            "with_for_update(of=WebhookDelivery)", *BATCHES),
)  # fmt: skip
