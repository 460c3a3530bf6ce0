"""The operator's view of the running service: access lines, traces, metrics and the production profile.

- :mod:`api.observability.access`: one structured log line per GraphQL and OAuth request (fields, not a
  formatted string; the JSON lines themselves are written by :mod:`api.logs`), with its metrics and span.
- :mod:`api.observability.tracing`: OpenTelemetry spans (request, SQL statements without parameters, event
  fan-out), off unless an OTLP endpoint is configured.
- :mod:`api.observability.metrics`: Prometheus series on a port of their own, off by default, with the
  hooks other parts of the service call (webhook deliveries, subscriptions, key rotation...).
- :mod:`api.observability.profile`: what ``SANCTUARY_ENVIRONMENT=production`` refuses to start with, and
  the settings printed at start with their secrets masked.
- :mod:`api.observability.runtime`: starting and stopping all of it with the service.

Nothing here ever records a value, a GraphQL variable, a SQL parameter, a token or a credential.
"""
